"""History of changes, recorded by PostgreSQL triggers (django-pghistory).

Triggers also fire for bulk inserts, ``QuerySet.update`` and COPY, which signal-based audit
packages miss. The request's user and URL are attached by ``pghistory.middleware``.
"""

import pghistory


def track():
    """Return the decorator that records inserts, updates and deletes of a model."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
    )
