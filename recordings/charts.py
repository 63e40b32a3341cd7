"""Server-rendered SVG chart of progress over time: done students per day against the target.

No JavaScript and no external library: the chart is plain SVG drawn with presentation attributes,
so it works offline, under the Content-Security-Policy, in print and in the PDF a browser makes.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import dateformat, formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ektp_drives.templatetags.numbers import percent_text

_ids = itertools.count(1)

INK = "#212529"
MUTED = "#495057"
GRID = "#dee2e6"
LINE = "#146c43"  # green with AA contrast on white
FILL = "#d1e7dd"
TARGET = "#0b3d6e"


@dataclass(frozen=True)
class ChartPoint:
    day: datetime.date
    done: int
    change: int
    completion: Decimal


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    svg_small: SafeString
    points: list[ChartPoint]
    target: int

    @property
    def change_points(self) -> list[ChartPoint]:
        """Only the days on which the number changed (the accessible table under the chart)."""
        return [p for p in self.points if p.change]

    @property
    def legend(self) -> SafeString:
        return legend_html()

    def __str__(self) -> str:
        return self.svg


def _pct(done: int, target: int) -> Decimal:
    if not target:
        return Decimal("0.00")
    return (Decimal(done) * 100 / Decimal(target)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _nice_ceiling(value: int) -> int:
    """Round an axis maximum up to 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 10
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value


def _num(value) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def progress_chart_svg(
    series: list[tuple[datetime.date, int]],
    *,
    target: int,
    start: datetime.date,
    end: datetime.date,
    title: str,
    compact: bool = False,
) -> Chart:
    """Draw cumulative done students per day (``series``, start → today) against the target line.

    Two drawings of the same data: a wide one and a narrow one with larger text for phones.
    """
    points, previous = [], 0
    for day, done in series:
        points.append(ChartPoint(day=day, done=done, change=done - previous, completion=_pct(done, target)))
        previous = done
    wide = (760, 220, 12, 6) if compact else (760, 280, 12, 6)
    return Chart(
        svg=_render(points, target=target, start=start, end=end, title=title, size=wide),
        svg_small=_render(points, target=target, start=start, end=end, title=title, size=(360, 240, 14, 2)),
        points=points,
        target=target,
    )


def _render(points, *, target, start, end, title, size) -> SafeString:
    chart_id = next(_ids)
    width, height, font, tick_count = size
    left, right, top, bottom = font * 5, font + 8, font + 8, font * 3
    plot_w, plot_h = width - left - right, height - top - bottom
    days = max((end - start).days, 1)
    peak = max([target, *(p.done for p in points)], default=0)
    y_max = _nice_ceiling(peak)
    if y_max < 20:
        y_max = max(4, -(-y_max // 4) * 4)  # small numbers: whole-number grid lines

    def x(day: datetime.date) -> float:
        return round(left + plot_w * (day - start).days / days, 1)

    def y(value: int) -> float:
        return round(top + plot_h * (1 - value / y_max), 1)

    parts = []
    for i in range(5):  # horizontal grid with values
        value = round(y_max * i / 4)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="{}" fill="{}">{}</text>',
                left,
                width - right,
                y(value),
                y(value),
                GRID,
                left - 6,
                y(value) + font // 3,
                font,
                MUTED,
                _num(value),
            )
        )
    ticks = sorted({start + datetime.timedelta(days=round(days * i / tick_count)) for i in range(tick_count + 1)})
    for tick in ticks:  # dates: start, end and a few between
        anchor = "start" if tick == start else "end" if tick == end else "middle"
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="{}" font-size="{}" fill="{}">{}</text>',
                x(tick),
                x(tick),
                top + plot_h,
                top + plot_h + 4,
                MUTED,
                x(tick),
                top + plot_h + font + 6,
                anchor,
                font,
                MUTED,
                dateformat.format(tick, "j M"),
            )
        )
    if target:
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="6 4"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="{}" font-weight="600" fill="{}">{}</text>',
                left,
                width - right,
                y(target),
                y(target),
                TARGET,
                width - right,
                y(target) - 6,
                font,
                TARGET,
                _("Sasaran %(n)s") % {"n": _num(target)},
            )
        )
    if points:  # done students as a step line, with the area under it; only the days that changed
        coords, previous = [(x(points[0].day), y(points[0].done))], points[0].done
        for point in points[1:]:
            if point.done != previous:
                coords.append((x(point.day), y(previous)))
                coords.append((x(point.day), y(point.done)))
                previous = point.done
        last = points[-1]
        if coords[-1][0] != x(last.day):
            coords.append((x(last.day), y(last.done)))
        line = " ".join(f"{cx},{cy}" for cx, cy in coords)
        area = f"{coords[0][0]},{y(0)} {line} {coords[-1][0]},{y(0)}"
        label_anchor = "end" if x(last.day) > left + plot_w * 0.6 else "start"
        label_dx = -8 if label_anchor == "end" else 8
        label_y = max(y(last.done) - 8, top + font)
        if target and abs(label_y - (y(target) - 6)) < font + 6:
            label_y = y(last.done) + font + 8  # below the line, clear of the target's label
        parts.append(
            format_html(
                '<polygon points="{}" fill="{}" opacity="0.6"/>'
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-linejoin="round"/>'
                '<circle cx="{}" cy="{}" r="4" fill="{}"/>'
                '<text x="{}" y="{}" text-anchor="{}" font-size="{}" font-weight="700" fill="{}">{}</text>',
                area,
                FILL,
                line,
                LINE,
                x(last.day),
                y(last.done),
                LINE,
                x(last.day) + label_dx,
                label_y,
                label_anchor,
                font + 1,
                INK,
                f"{_num(last.done)} ({percent_text(last.completion)})",
            )
        )
    description = _("Belum ada hasil perekaman.")
    if points:
        last = points[-1]
        description = _("%(done)s dari %(target)s peserta didik sudah terekam pada %(day)s (%(pct)s).") % {
            "done": _num(last.done),
            "target": _num(target),
            "day": dateformat.format(last.day, "j F Y"),
            "pct": percent_text(last.completion),
        }
    return format_html(
        '<svg class="progress-chart" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'role="img" aria-labelledby="chart-title-{id} chart-desc-{id}" xmlns="http://www.w3.org/2000/svg" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        '<title id="chart-title-{id}">{title}</title><desc id="chart-desc-{id}">{desc}</desc>'
        '<rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>{body}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=_("Perkembangan perekaman: %(title)s") % {"title": title},
        desc=description,
        body=mark_safe("".join(parts)),  # noqa: S308 - every part was built with format_html
    )


def legend_html() -> SafeString:
    """A small legend under the chart (colour plus words, not colour alone)."""
    items = [(LINE, _("Sudah terekam (kumulatif)"), ""), (TARGET, _("Sasaran"), "6 4")]
    return format_html_join(
        " ",
        '<span class="me-3"><svg width="24" height="10" aria-hidden="true"><line x1="0" x2="24" y1="5" y2="5" '
        'stroke="{}" stroke-width="3" stroke-dasharray="{}"/></svg> {}</span>',
        ((color, dash, label) for color, label, dash in items),
    )
