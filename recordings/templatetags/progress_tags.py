"""Template tags of the progress pages."""

from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from ektp_drives.templatetags.numbers import NBSP, grouped, percent_text

register = template.Library()


def _colour(value: Decimal) -> str:
    if value >= 80:
        return "#146c43"  # green
    if value >= 50:
        return "#b35c00"  # amber
    return "#b02a37"  # red


def _bar(value: Decimal, shown: str) -> str:
    """The completion bar's HTML for a value and its text (79,38 %).

    The SVG is decorative (``aria-hidden``): the percentage is the text next to it, so a screen
    reader says it once. Built with f-strings (the numbers and colours are ours, ``shown`` is
    digits and separators): a dashboard draws a hundred of them.
    """
    fill = f'<rect width="{value:.2f}%" height="10" rx="3" fill="{_colour(value)}"/>' if value else ""
    return (
        '<span class="progress-cell"><svg class="progress-svg" width="100%" height="10" aria-hidden="true" '
        f'focusable="false"><rect width="100%" height="10" rx="3" fill="#e9ecef"/>{fill}</svg>'
        f'<span class="progress-value">{shown}</span></span>'
    )


@register.simple_tag
def progress_bar(value) -> str:
    """A completion bar in SVG (no inline style) with the percentage in words next to it."""
    value = Decimal(value or 0)
    return mark_safe(_bar(value, escape(percent_text(value))))  # noqa: S308 - numbers and escaped text


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
    return format_html('<td data-figure="{}">{}</td>', code, grouped(progress.value(code)))


@register.filter
def lookup_figure(progress, code: str):
    """``progress|lookup_figure:code``: one figure of a Progress by its code."""
    return progress.value(code)


class _Cells:
    """Renders the figure cells of many rows: the language's separators and the codes looked up once.

    The same cells as ``figure_cell`` (numbers right-aligned by the stylesheet's ``td[data-figure]``).
    """

    def __init__(self, figure_lists):
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.point = formats.get_format("DECIMAL_SEPARATOR")
        self.codes = [f.code for figures in figure_lists for f in figures]

    def percent(self, value: Decimal) -> str:
        """``percent_text`` for a value already rounded to two places (Progress.completion)."""
        text = f"{value:,.2f}".replace(",", "\0").replace(".", self.point).replace("\0", self.thousands)
        return f"{text}{NBSP}%"

    def __call__(self, progress) -> str:
        cells = []
        for code in self.codes:
            if code == "completion":
                value = progress.completion
                bar = _bar(value, self.percent(value))
                cells.append(f'<td class="completion-cell" data-figure="completion">{bar}</td>')
            else:
                number = f"{getattr(progress, code):,}".replace(",", self.thousands)
                cells.append(f'<td data-figure="{code}">{number}</td>')
        return "".join(cells)


@register.simple_tag
def figure_cells(progress, *figure_lists) -> str:
    """All figure cells of one table row in one tag (the same cells as ``figure_cell``)."""
    return mark_safe(_Cells(figure_lists)(progress))  # noqa: S308 - figure codes are fixed identifiers, the rest numbers


@register.simple_tag
def school_rows(rows, drive_query: str, *figure_lists) -> str:
    """The dashboard's school table rows in one tag (50 rows of 20 cells: template loops cost ~20 ms).

    Name and NPSN link to the school's page; the school's kind; its kecamatan; the figure cells;
    the last visit (or its visit state) and the next visit. The school page's URL is reversed once
    and dates and labels formatted once each (a page repeats them).
    """
    cells = _Cells(figure_lists)
    query = escape(drive_query)
    marker = 987654321
    url_head, url_tail = reverse("progress_school", args=[marker]).split(str(marker))
    texts: dict = {}

    def once(key, make):
        if key not in texts:
            texts[key] = make()
        return texts[key]

    out = []
    for row in rows:
        visits = row.visits
        if visits.last_visit:
            last = once(visits.last_visit, lambda d=visits.last_visit: dateformat.format(d, "j M Y"))
        else:
            state = row.visit_state
            last = once(
                state, lambda r=row: f'<span class="badge text-bg-warning">{escape(r.visit_state_label)}</span>'
            )
        upcoming = (
            once(visits.next_visit, lambda d=visits.next_visit: dateformat.format(d, "j M Y"))
            if visits.next_visit
            else "—"
        )
        kind = once(
            (row.level, row.status),
            lambda r=row: f"{escape(r.level_label)} {escape(str(r.status_label).lower())}",
        )
        npsn = escape(row.npsn)
        out.append(
            f'<tr data-testid="school-row" data-npsn="{npsn}">'
            f'<td class="school-name"><a href="{url_head}{int(row.school_id)}{url_tail}?{query}">{escape(row.name)}</a>'
            f'<div class="small text-body-secondary">{kind} · NPSN {npsn}</div></td>'
            f"<td>{escape(row.kecamatan_name)}</td>{cells(row.progress)}<td>{last}</td><td>{upcoming}</td></tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every text escaped, the rest numbers and our URLs


@register.simple_tag
def kecamatan_rows(rows, drive_query: str, *figure_lists) -> str:
    """The dashboard's kecamatan table rows in one tag: name (a filter link), schools visited / schools, figures."""
    cells = _Cells(figure_lists)
    query = escape(drive_query)
    out = []
    for k in rows:
        pk = int(k.kecamatan_id)
        schools = f"{k.schools_visited:,} / {k.schools:,}".replace(",", cells.thousands)
        out.append(
            f'<tr data-testid="kecamatan-row" data-kecamatan="{pk}">'
            f'<td><a href="?{query}&amp;kecamatan={pk}">{escape(k.name)}</a></td>'
            f'<td class="text-end">{schools}</td>{cells(k.progress)}</tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - names escaped, the rest numbers


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
