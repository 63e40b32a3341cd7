"""Template tags for linking student names to the student's page, for those who may open it."""

from django import template

from schools.permissions import can_open_student_page

register = template.Library()


@register.simple_tag(takes_context=True)
def student_links_allowed(context, school, checked=False) -> bool:
    """Ask once per page whether the user may open the pages of this school's students
    (``checked``: the page itself was found through ``get_visible_school_or_404``)."""
    return can_open_student_page(context["request"].user, school, school_checked=bool(checked))
