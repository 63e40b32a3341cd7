"""Which visit pages a user's device keeps for offline recording.

See docs/adr/0022-offline-visit-pages-service-worker.md.
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from recordings.models import Visit
from recordings.permissions import can_keep_offline_copy, visits_visible_to

# A device keeps at most this many visit pages; a team records a few schools a day.
MAX_PREPARED = 30


def visits_to_prepare(user, *, today: datetime.date) -> list[Visit]:
    """Today's and tomorrow's planned visits and every visit in progress that the user may record.

    One query (visit, drive and school together); the permission is checked per visit without more.
    """
    tomorrow = today + datetime.timedelta(days=1)
    visits = (
        visits_visible_to(user)
        .filter(
            Q(status=Visit.Status.IN_PROGRESS) | Q(status=Visit.Status.PLANNED, date__gte=today, date__lte=tomorrow)
        )
        .select_related("drive", "school")
        .order_by("date", "school__name", "pk")[:MAX_PREPARED]
    )
    return [visit for visit in visits if can_keep_offline_copy(user, visit)]
