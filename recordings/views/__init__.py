"""Views of the recordings app, one module per area (home, visits, progress)."""
