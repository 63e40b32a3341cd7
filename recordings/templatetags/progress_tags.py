"""Template tags of the progress pages."""

from decimal import Decimal

from django import template
from django.utils import dateformat, formats
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ektp_drives.templatetags.numbers import decimal_text, grouped, percent_text

register = template.Library()


def _colour(value: Decimal) -> str:
    if value >= 80:
        return "#146c43"  # green
    if value >= 50:
        return "#b35c00"  # amber
    return "#b02a37"  # red


@register.simple_tag
def progress_bar(value) -> str:
    """A completion bar in SVG (no inline style) with the percentage in words next to it.

    Built with f-strings (the numbers and colours are ours; the label is escaped): a dashboard
    draws a hundred of them.
    """
    value = Decimal(value or 0)
    shown = decimal_text(value.quantize(Decimal("0.01")), 2)
    fill = f'<rect x="0" y="0" width="{value:.2f}%" height="10" rx="3" fill="{_colour(value)}"/>' if value else ""
    label = escape(_("Capaian %(value)s %%") % {"value": shown})
    return mark_safe(  # noqa: S308 - numbers, fixed colours and an escaped label
        '<span class="progress-cell"><svg class="progress-svg" width="100%" height="10" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        '<rect x="0" y="0" width="100%" height="10" rx="3" fill="#e9ecef"/>'
        f'{fill}</svg><span class="progress-value">{escape(percent_text(value))}</span></span>'
    )


@register.filter
def lookup(mapping, key):
    """``headers|lookup:code``: a dict's item in a template."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def figure_cell(progress, code: str) -> str:
    """One table cell of a progress figure: the completion bar, or the number (2.100)."""
    if code == "completion":
        return mark_safe(
            f'<td class="completion-cell" data-figure="completion">{progress_bar(progress.completion)}</td>'
        )  # noqa: S308
    return format_html('<td class="text-end" data-figure="{}">{}</td>', code, grouped(progress.value(code)))


@register.filter
def lookup_figure(progress, code: str):
    """``progress|lookup_figure:code``: one figure of a Progress by its code."""
    return progress.value(code)


@register.simple_tag
def figure_cells(progress, *figure_lists) -> str:
    """All figure cells of one table row in one tag (the same cells as ``figure_cell``).

    A dashboard shows 100 rows of 16 figures: one tag per row, and integers grouped with a
    format string instead of ``number_format`` per cell, keeps rendering them to a few milliseconds.
    """
    separator = formats.get_format("THOUSAND_SEPARATOR")
    cells = []
    for figures in figure_lists:
        for f in figures:
            if f.code == "completion":
                cells.append(figure_cell(progress, "completion"))
            else:
                number = grouped(progress.value(f.code), separator)
                cells.append(f'<td class="text-end" data-figure="{f.code}">{number}</td>')
    return mark_safe("".join(cells))  # noqa: S308 - figure codes are fixed identifiers, the rest integers


@register.filter
def figure_number(value) -> str:
    """An integer grouped as the pages print it (2.100); a cheaper ``intcomma`` for long tables."""
    return grouped(value) if isinstance(value, int) else value


@register.simple_tag
def sort_th(h, numeric=False) -> str:
    """A sortable column header: a link that keeps the other filters, and ``aria-sort``.

    A tag rather than an included template: the dashboard has 33 of them per page.
    """
    arrow = format_html('<span aria-hidden="true">{}</span>', " ▼" if h["descending"] else " ▲") if h["active"] else ""
    return format_html(
        '<th scope="col" aria-sort="{}"{}>\n  <a class="sort-link{}" href="?{}" hx-get="?{}" '
        'hx-target="#progress-results" hx-swap="outerHTML" hx-push-url="true">{}{}</a>\n</th>\n',
        h["aria"],
        mark_safe(' class="text-end"') if numeric else "",  # noqa: S308 - a fixed attribute
        " active" if h["active"] else "",
        h["query"],
        h["query"],
        h["label"],
        arrow,
    )


@register.simple_tag
def kecamatan_options(choices, selected) -> str:
    """The kecamatan filter's options (hundreds of them) in one tag: ``<option value="id">name``."""
    return mark_safe(  # noqa: S308 - ids are integers, names escaped
        "".join(
            f'<option value="{int(pk)}"{" selected" if pk == selected else ""}>{escape(name)}</option>'
            for pk, name in choices
        )
    )


@register.simple_tag
def chart_change_rows(points) -> str:
    """The chart's data table rows (day, change, done students, completion) in one tag."""
    separator = formats.get_format("THOUSAND_SEPARATOR")
    rows = []
    for point in points:
        change = ("+" if point.change > 0 else "") + grouped(point.change, separator)
        rows.append(
            f"<tr><td>{escape(dateformat.format(point.day, 'l, j F Y'))}</td>"
            f'<td class="text-end">{change}</td><td class="text-end">{grouped(point.done, separator)}</td>'
            f'<td class="text-end">{escape(percent_text(point.completion))}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - numbers and escaped dates
