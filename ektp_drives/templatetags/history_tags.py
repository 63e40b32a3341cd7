"""The admin change form's link to the record's history (django-pghistory events)."""

from django import template
from pghistory import core

register = template.Library()


@register.filter
def history_tracked(opts) -> bool:
    """True when changes to the model are recorded (it has a pghistory event model)."""
    return bool(core.event_models(tracks_model=opts.model))
