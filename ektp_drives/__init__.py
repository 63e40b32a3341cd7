"""ektp-drives: school-based e-KTP recording drives."""

# The release, shown in the footer and naming the service worker's caches (one definition).
__version__ = "0.3.0"
