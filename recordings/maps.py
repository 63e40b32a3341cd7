"""The school map, drawn on the server as inline SVG from the schools' coordinates: it works
without internet, under the Content-Security-Policy and in print (docs/adr/0028).

Web Mercator, fitted to the bounding box of the schools and the office. Visited schools are
circles coloured by completion; schools not visited yet are hollow squares and postponed ones
triangles (shape and outline, not colour alone), drawn on top and larger. The office is a star.
Only when ``MAP_TILE_URL`` is set are the tiles covering the box drawn underneath as ``<image>``
elements. Each marker links to the school's progress page; the same schools are listed in a
table (the map itself is hidden from screen readers, its links are out of the tab order).
The markup is built as strings: at 10,000 schools it is ~1.5 MB and takes tens of milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from html import escape as html_escape  # Django's escape, without its lazy-text wrapper (10,000 calls)

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ektp_drives.templatetags.numbers import NBSP
from recordings.selectors.map import NOT_VISITED, POSTPONED, VISITED, MapSchool, SchoolMap, drive_map
from recordings.selectors.progress import VisitState

WIDTH = 600  # view-box units; markers and text are sized in these, so a phone still shows them
MIN_ASPECT, MAX_ASPECT = 0.55, 1.1  # height ÷ width
MIN_SPAN_DEGREES = 0.05
PADDING = 0.08
SCALE_BAND = 30  # view-box units under the map for the scale bar, so it never covers a school
MAX_TILES = 36
INK = "#212529"
OFFICE = "#0b3d6e"
NOT_VISITED_FILL = "#ffffff"
POSTPONED_FILL = "#6f42c1"  # purple, 6.5:1 on white

# Completion bands of visited schools: (lowest completion, colour, label). Each colour has at
# least 3:1 contrast on white (WCAG 1.4.11); the table gives every figure in text.
BANDS = (
    (Decimal(100), "#146c43", gettext_lazy("100 %")),
    (Decimal(80), "#1f5fa8", gettext_lazy("80–99 %")),
    (Decimal(50), "#b35900", gettext_lazy("50–79 %")),
    (Decimal(0), "#b02a37", gettext_lazy("di bawah 50 %")),
)


def band_colour(completion: Decimal) -> str:
    for lowest, colour, _label in BANDS:
        if completion >= lowest:
            return colour
    return BANDS[-1][1]


def mercator(latitude: float, longitude: float) -> tuple[float, float]:
    """Web Mercator in world units (0–1 across, 0 at the top)."""
    latitude = max(min(latitude, 85.0511), -85.0511)
    x = (longitude + 180.0) / 360.0
    y = 0.5 - math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2)) / (2 * math.pi)
    return x, y


@dataclass(frozen=True)
class Frame:
    """The box drawn: world units of its top-left corner, and view-box units per world unit."""

    x0: float
    y0: float
    scale: float
    width: int
    height: int

    def point(self, latitude, longitude) -> tuple[float, float]:
        x, y = mercator(float(latitude), float(longitude))
        return round((x - self.x0) * self.scale, 1), round((y - self.y0) * self.scale, 1)


def fit(points: list[tuple[float, float]]) -> Frame:
    """The frame around ``points`` (latitude, longitude), padded, with its aspect kept in bounds."""
    world = [mercator(lat, lon) for lat, lon in points]
    xs, ys = [p[0] for p in world], [p[1] for p in world]
    min_span = MIN_SPAN_DEGREES / 360.0
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    span_x = max(max(xs) - min(xs), min_span) * (1 + 2 * PADDING)
    span_y = max(max(ys) - min(ys), min_span) * (1 + 2 * PADDING)
    if span_y / span_x < MIN_ASPECT:
        span_y = span_x * MIN_ASPECT
    elif span_y / span_x > MAX_ASPECT:
        span_x = span_y / MAX_ASPECT
    scale = WIDTH / span_x
    return Frame(x0=cx - span_x / 2, y0=cy - span_y / 2, scale=scale, width=WIDTH, height=round(span_y * scale))


def tiles(frame: Frame, url: str) -> list[tuple[str, float, float, float]]:
    """(url, x, y, size) of the tiles covering the frame, at the zoom nearest 256 units a tile."""
    zoom = max(0, min(18, round(math.log2(frame.scale / 256))))
    while True:
        n = 2**zoom
        first_x, last_x = math.floor(frame.x0 * n), math.floor((frame.x0 + frame.width / frame.scale) * n)
        first_y, last_y = math.floor(frame.y0 * n), math.floor((frame.y0 + frame.height / frame.scale) * n)
        if (last_x - first_x + 1) * (last_y - first_y + 1) <= MAX_TILES or zoom == 0:
            break
        zoom -= 1
    size = frame.scale / n
    found = []
    for ty in range(max(first_y, 0), min(last_y, n - 1) + 1):
        for tx in range(first_x, last_x + 1):
            href = url.replace("{s}", "a").replace("{z}", str(zoom)).replace("{x}", str(tx % n)).replace("{y}", str(ty))
            x = round((tx / n - frame.x0) * frame.scale, 1)
            y = round((ty / n - frame.y0) * frame.scale, 1)
            found.append((href, x, y, round(size, 1)))
    return found


def _radius(count: int) -> float:
    if count <= 50:
        return 11.0  # ~6 px on a 360 px phone, ~13 px beside the table on a desktop
    if count <= 200:
        return 8.0
    if count <= 2000:
        return 5.0
    return 3.0


def _scale_bar(frame: Frame, latitude: float) -> str:
    """A bar of a round number of kilometres (about a fifth of the width), in the band under the map."""
    km_per_unit = 40075.017 * math.cos(math.radians(latitude)) / frame.scale
    wanted = frame.width / 5 * km_per_unit
    length = next((n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if n >= wanted * 0.6), 1000)
    units = round(length / km_per_unit, 1)
    x, y = 12, frame.height + SCALE_BAND - 6
    label = escape(_("%(n)s km") % {"n": length})
    return (
        '<g class="map-scale" data-testid="map-scale" pointer-events="none">'
        f'<path d="M{x} {y - 6}V{y}H{round(x + units, 1)}V{y - 6}" '
        f'fill="none" stroke="{INK}" stroke-width="2"/><text x="{x + 4}" y="{y - 8}" font-size="14" fill="{INK}" '
        f'stroke="#fff" stroke-width="3" paint-order="stroke">{label}</text></g>'
    )


def _shape(kind: str, x: float, y: float, r: float, fill: str) -> str:
    if kind == VISITED:
        return f'<circle cx="{x}" cy="{y}" r="{r}" fill="{fill}" stroke="#fff" stroke-width="1"/>'
    if kind == NOT_VISITED:
        s = round(r * 1.25, 1)
        w = round(max(r / 3, 1.5), 1)
        return (
            f'<rect x="{round(x - s, 1)}" y="{round(y - s, 1)}" width="{2 * s}" height="{2 * s}" '
            f'fill="{NOT_VISITED_FILL}" stroke="{INK}" stroke-width="{w}"/>'
        )
    s = round(r * 1.6, 1)  # postponed: a triangle pointing up
    w = round(max(r / 4, 1), 1)
    return (
        f'<path d="M{x} {round(y - s, 1)}L{round(x + s, 1)} {round(y + s * 0.8, 1)}L{round(x - s, 1)} '
        f'{round(y + s * 0.8, 1)}Z" fill="{POSTPONED_FILL}" stroke="{INK}" stroke-width="{w}"/>'
    )


def _star(x: float, y: float, r: float) -> str:
    points = []
    for i in range(10):
        angle = math.pi / 2 + i * math.pi / 5
        radius = r if i % 2 == 0 else r * 0.45
        points.append(f"{round(x + radius * math.cos(angle), 1)},{round(y - radius * math.sin(angle), 1)}")
    return f'<polygon points="{" ".join(points)}" fill="{OFFICE}" stroke="#fff" stroke-width="1.5"/>'


def _link_prefix() -> tuple[str, str]:
    """The progress school page's URL around its id, found once (reverse() per school is slow)."""
    marker = 987654321
    url = reverse("progress_school", args=[marker])
    before, after = url.split(str(marker))
    return before, after


def school_url(school_id: int, drive_id: int) -> str:
    before, after = _link_prefix()
    return f"{before}{school_id}{after}?drive={drive_id}"


class _Text:
    """Numbers and labels as the pages print them, with the language's separators looked up once
    (``percent_text`` per school costs more than the rest of a marker at 10,000 schools)."""

    def __init__(self):
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.point = formats.get_format("DECIMAL_SEPARATOR")
        self.states = {state.value: escape(str(state.label)) for state in VisitState}  # str: not lazy

    def decimal(self, number, places: int) -> str:
        text = f"{number:,.{places}f}"
        return text.replace(",", "\0").replace(".", self.point).replace("\0", self.thousands)

    def percent(self, hundredths: int) -> str:
        """Hundredths of a percent as 79,38 % (up to 100 %: no thousands)."""
        return f"{hundredths // 100}{self.point}{hundredths % 100:02d}{NBSP}%"


def _marker_defs(r: float) -> str:
    """One shape per marker kind (a circle per completion band), placed with ``<use>`` per school."""
    circles = "".join(
        f'<circle id="v{i}" r="{r}" fill="{colour}" stroke="#fff" stroke-width="1"/>'
        for i, (_lowest, colour, _label) in enumerate(BANDS)
    )
    square = _shape(NOT_VISITED, 0, 0, r, "").replace("<rect", '<rect id="n"', 1)
    triangle = _shape(POSTPONED, 0, 0, r, "").replace("<path", '<path id="p"', 1)
    return f"<defs>{circles}{square}{triangle}</defs>"


_BAND_HUNDREDTHS = tuple(int(lowest * 100) for lowest, _colour, _label in BANDS)


def _band_index(hundredths: int) -> int:
    for index, lowest in enumerate(_BAND_HUNDREDTHS):
        if hundredths >= lowest:
            return index
    return len(BANDS) - 1


def map_svg(school_map: SchoolMap, *, tile_url: str | None = None) -> SafeString:
    """The map as one ``<svg>`` element (scales to its container; hidden from screen readers)."""
    placed = school_map.placed
    office = school_map.office
    frame = fit([(float(s.latitude), float(s.longitude)) for s in placed] + [office])
    tile_url = settings.MAP_TILE_URL if tile_url is None else tile_url
    r = _radius(len(placed))
    parts = [
        f'<svg class="school-map" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {frame.width} {frame.height + SCALE_BAND}" '
        f'preserveAspectRatio="xMidYMid meet" aria-hidden="true" focusable="false" data-testid="school-map-svg">',
        _marker_defs(r),
        f'<rect width="{frame.width}" height="{frame.height + SCALE_BAND}" fill="#f1f3f5"/>',
    ]
    if tile_url:
        parts.append('<g class="map-tiles">')
        parts.extend(
            f'<image href="{escape(href)}" x="{x}" y="{y}" width="{size}" height="{size}" preserveAspectRatio="none"/>'
            for href, x, y, size in tiles(frame, tile_url)
        )
        parts.append("</g>")
    text = _Text()
    before, after = _link_prefix()
    query = f"?drive={school_map.drive.pk}"
    x0, y0, scale = frame.x0, frame.y0, frame.scale
    # Visited schools first, then the ones still needing a visit on top, so these stay visible.
    order = {VISITED: 0, NOT_VISITED: 1, POSTPONED: 2}
    for school in sorted(placed, key=lambda s: order[s.marker]):
        x, y = mercator(float(school.latitude), float(school.longitude))
        marker = school.marker
        shape = (
            f"v{_band_index(school.completion_hundredths)}"
            if marker == VISITED
            else ("n" if marker == NOT_VISITED else "p")
        )
        parts.append(
            f'<a href="{before}{school.school_id}{after}{query}" tabindex="-1"><title>{html_escape(school.name)} · '
            f"{text.states[school.state]} · {text.percent(school.completion_hundredths)}</title>"
            f'<use href="#{shape}" x="{(x - x0) * scale:.1f}" y="{(y - y0) * scale:.1f}"/></a>'
        )
    # The office and the scale on top, letting clicks through to the schools under them.
    ox, oy = frame.point(*office)
    office_label = escape(_("Kantor Dukcapil"))
    star = max(r * 1.2, 8)
    right_half = ox > frame.width / 2  # the name goes on the side with room
    parts.append(
        f'<g class="map-office" data-testid="map-office" pointer-events="none"><title>{office_label}</title>'
        f"{_star(ox, oy, star)}"
        f'<text x="{round(ox - star - 4 if right_half else ox + star + 4, 1)}" y="{round(oy - star / 2, 1)}" '
        f'text-anchor="{"end" if right_half else "start"}" font-size="15" fill="{INK}" '
        f'stroke="#fff" stroke-width="3" paint-order="stroke">{office_label}</text></g>'
    )
    parts.append(_scale_bar(frame, office[0]))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text inside is escaped above


def _distance_text(school: MapSchool, text: _Text, straight: str) -> str:
    travel = school.travel
    if travel.km is None:
        if travel.minutes is not None:
            return escape(_("%(n)s menit") % {"n": travel.minutes})
        return "—"
    km = text.decimal(travel.km, 1)
    if travel.straight_line:
        return f'± {km} km <span class="small text-body-secondary">({straight})</span>'
    return f"{km} km"


def map_table_rows(school_map: SchoolMap) -> SafeString:
    """The table's rows (name, kecamatan, completion, status, distance), built once as markup."""
    before, after = _link_prefix()
    query = f"?drive={school_map.drive.pk}"
    no_point = f' <span class="badge text-bg-light border">{escape(_("tanpa koordinat"))}</span>'
    straight = escape(_("garis lurus"))
    text = _Text()
    rows = []
    for s in school_map.schools:
        rows.append(
            f'<tr><th scope="row"><a href="{before}{s.school_id}{after}{query}">{html_escape(s.name)}</a>'
            f"{'' if s.has_point else no_point}</th><td>{html_escape(s.kecamatan_name)}</td>"
            f"<td>{text.percent(s.completion_hundredths)}</td><td>{text.states[s.state]}</td>"
            f"<td>{_distance_text(s, text, straight)}</td></tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every text inside is escaped above


@dataclass(frozen=True)
class MapView:
    """What ``recordings/_school_map.html`` shows."""

    school_map: SchoolMap
    svg: SafeString | None
    rows: SafeString
    attribution: str

    @property
    def legend(self) -> list[tuple[SafeString, str]]:
        """(small SVG of the marker, its meaning) for the legend."""

        def icon(kind: str, fill: str = "") -> SafeString:
            return mark_safe(  # noqa: S308 - fixed markup
                f'<svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true" focusable="false">'
                f"{_shape(kind, 11, 12, 6, fill)}</svg>"
            )

        items = [
            (icon(VISITED, colour), _("Sudah dikunjungi, capaian %(band)s") % {"band": label})
            for _lowest, colour, label in BANDS
        ]
        items.append((icon(NOT_VISITED), _("Belum dikunjungi (kotak berbingkai)")))
        items.append((icon(POSTPONED), _("Ditunda, belum ada tanggal baru (segitiga)")))
        star = mark_safe(  # noqa: S308 - fixed markup
            '<svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true" focusable="false">'
            f"{_star(11, 11, 10)}</svg>"
        )
        items.append((star, _("Kantor Dukcapil")))
        return items

    @property
    def counts(self) -> dict[str, int]:
        m = self.school_map
        return {
            "total": len(m.schools),
            "placed": len(m.placed),
            "unplaced": len(m.unplaced),
            "visited": m.count(VISITED),
            "not_visited": m.count(NOT_VISITED),
            "postponed": m.count(POSTPONED),
        }


def map_view(school_map: SchoolMap) -> MapView:
    return MapView(
        school_map=school_map,
        svg=map_svg(school_map) if school_map.schools else None,
        rows=map_table_rows(school_map),
        attribution=settings.MAP_TILE_ATTRIBUTION if settings.MAP_TILE_URL else "",
    )


def drive_map_view(drive, *, schools=None, today=None) -> MapView:
    """The map and its table for a drive's schools (``schools``: ids to limit to); one query."""
    return map_view(drive_map(drive, schools=schools, today=today))
