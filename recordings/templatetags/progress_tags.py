"""Template tags of the progress pages."""

from decimal import Decimal

from django import forms, template
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ektp_drives.templatetags.numbers import NBSP, grouped, percent_text

register = template.Library()


def _colour(value: Decimal) -> str:
    if value >= 80:
        return "#146c43"  # green
    if value >= 50:
        return "#b35c00"  # amber
    return "#b02a37"  # red


def _percent2(value: Decimal, thousands: str, point: str) -> str:
    """``percent_text`` for a value already rounded to two places (Progress.completion, chart points)."""
    text = f"{value:,.2f}".replace(",", "\0").replace(".", point).replace("\0", thousands)
    return f"{text}{NBSP}%"


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
        return _percent2(value, self.thousands, self.point)

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


def _sort_th(h, numeric=False) -> str:
    arrow = f'<span aria-hidden="true">{" ▼" if h["descending"] else " ▲"}</span>' if h["active"] else ""
    query = escape(h["query"])
    align = ' class="text-end"' if numeric else ""
    return (
        f'<th scope="col" aria-sort="{escape(h["aria"])}"{align}>\n'
        f'  <a class="sort-link{" active" if h["active"] else ""}" href="?{query}" hx-get="?{query}" '
        f'hx-target="#progress-results" hx-swap="outerHTML" hx-push-url="true">{escape(h["label"])}{arrow}</a>\n</th>\n'
    )


@register.simple_tag
def sort_th(h, numeric=False) -> str:
    """A sortable column header: a link that keeps the other filters, and ``aria-sort``.

    A tag rather than an included template: the dashboard has 33 of them per page.
    """
    return mark_safe(_sort_th(h, numeric))  # noqa: S308 - label and query escaped, the rest fixed


@register.simple_tag
def figure_sort_ths(headers, *figure_lists) -> str:
    """The sortable headers of every figure column (numeric) in one tag."""
    return mark_safe(  # noqa: S308 - see _sort_th
        "".join(_sort_th(headers[f.code], numeric=True) for figures in figure_lists for f in figures)
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
    """The chart's data table rows (day, change, done students, completion) in one tag.

    Dates as ``date:"l, j F Y"`` writes them, with the day and month names translated once.
    """
    thousands, point_sign = formats.get_format("THOUSAND_SEPARATOR"), formats.get_format("DECIMAL_SEPARATOR")
    weekdays = {k: escape(v) for k, v in WEEKDAYS.items()}
    months = {k: escape(v) for k, v in MONTHS.items()}
    rows = []
    for point in points:
        change = ("+" if point.change > 0 else "") + grouped(point.change, thousands)
        day = point.day
        rows.append(
            f"<tr><td>{weekdays[day.weekday()]}, {day.day} {months[day.month]} {day.year:04d}</td>"
            f'<td class="text-end">{change}</td><td class="text-end">{grouped(point.done, thousands)}</td>'
            f'<td class="text-end">{_percent2(point.completion, thousands, point_sign)}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - numbers and escaped names


def _widget_attrs(attrs: dict) -> str:
    """Django's ``attrs.html``: `` name="value"``, a bare name for True, nothing for False."""
    return "".join(
        f" {escape(k)}" if v is True else f' {escape(k)}="{escape(v)}"' for k, v in attrs.items() if v is not False
    )


@register.simple_tag
def plain_widget(bound_field) -> str:
    """``{{ field.as_widget }}`` for the filter form's selects and text inputs, without the widget templates.

    The same HTML as Django's ``select.html``/``input.html`` (the widget's own context, attributes
    and selected options); ~1 ms a field less than rendering their included templates. Other
    widgets fall back to ``as_widget``.
    """
    widget = bound_field.field.widget
    if not isinstance(widget, forms.Select | forms.widgets.Input) or isinstance(widget, forms.SelectMultiple):
        return bound_field.as_widget()
    if bound_field.field.localize:
        widget.is_localized = True
    attrs = bound_field.build_widget_attrs({}, widget)
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    context = widget.get_context(bound_field.html_name, bound_field.value(), attrs)["widget"]
    name = escape(context["name"])
    if isinstance(widget, forms.Select):
        options = []
        for group_name, group_choices, _index in context["optgroups"]:
            if group_name:
                options.append(f'<optgroup label="{escape(group_name)}">')
            options.extend(
                f'<option value="{escape(o["value"])}"{_widget_attrs(o["attrs"])}>{escape(o["label"])}</option>'
                for o in group_choices
            )
            if group_name:
                options.append("</optgroup>")
        return mark_safe(f'<select name="{name}"{_widget_attrs(context["attrs"])}>{"".join(options)}</select>')  # noqa: S308
    value = "" if context["value"] is None else f' value="{escape(context["value"])}"'
    return mark_safe(  # noqa: S308 - every value escaped
        f'<input type="{escape(context["type"])}" name="{name}"{value}{_widget_attrs(context["attrs"])}>'
    )


@register.simple_tag
def figure_definitions(figures, open=False) -> str:  # noqa: A002 - the attribute's name
    """The "Keterangan kolom" list of every figure's label and definition (a tag: a page shows it twice)."""
    items = "".join(
        f'<dt class="col-sm-3">{escape(f.label)}</dt><dd class="col-sm-9">{escape(f.definition)}</dd>' for f in figures
    )
    return mark_safe(  # noqa: S308 - labels and definitions escaped
        f'<details class="figure-definitions small mt-2" data-testid="figure-definitions"{" open" if open else ""}>\n'
        f"  <summary>{escape(_('Keterangan kolom'))}</summary>\n"
        f'  <dl class="row mb-0">\n    {items}\n  </dl>\n</details>'
    )


@register.simple_tag
def figure_breakdown(progress, figures) -> str:
    """The headline's breakdown: each figure's label (its definition as the title) and value."""
    cells = _Cells(())
    items = []
    for f in figures:
        if f.code == "completion":
            value = cells.percent(progress.completion)
        else:
            value = grouped(progress.value(f.code), cells.thousands)
        items.append(
            f'<dt class="col-8 col-md-4" title="{escape(f.definition)}">{escape(f.label)}</dt>'
            f'<dd class="col-4 col-md-2 text-end" data-figure="{f.code}">{value}</dd>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 - labels escaped, codes fixed, the rest numbers


@register.simple_tag
def postponed_items(visits, drive_query: str) -> str:
    """The dashboard's list of postponed visits (``PostponedVisit``): school (a link), date, reason and note."""
    query = escape(drive_query)
    items = []
    for visit in visits:
        url = reverse("progress_school", args=[visit.school_id])
        note = f" ({escape(visit.note)})" if visit.note else ""
        items.append(
            f'<li><a href="{url}?{query}">{escape(visit.school_name)}</a> — {dateformat.format(visit.date, "j M Y")}: '
            f"{escape(visit.reason_label)}{note}</li>"
        )
    return mark_safe("\n".join(items))  # noqa: S308 - texts escaped, the rest dates and our URLs
