"""The server-rendered SVG chart of progress over time."""

import datetime
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own SVG in tests

import pytest
from django.utils import translation

from recordings.charts import progress_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def indonesian():
    """The chart speaks the request's language; these tests read it in Bahasa Indonesia."""
    with translation.override("id"):
        yield


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 - our own SVG


def series(*values, start=datetime.date(2026, 9, 1)):
    return [(start + datetime.timedelta(days=i), v) for i, v in enumerate(values)]


def test_chart_is_valid_svg_with_title_and_description():
    chart = progress_chart_svg(
        series(0, 3, 3, 7), target=10, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 30), title="Uji"
    )
    for svg in (chart.svg, chart.svg_small):
        root = parse(svg)
        assert root.get("role") == "img"
        assert root.find(f"{SVG}title").text == "Perkembangan perekaman: Uji"
        assert "7 dari 10 peserta didik sudah terekam" in root.find(f"{SVG}desc").text
        assert "70,00\u00a0%" in root.find(f"{SVG}desc").text
        texts = [t.text for t in root.iter(f"{SVG}text")]
        assert "Sasaran 10" in texts
        assert "7 (70,00\u00a0%)" in texts
    assert [(p.done, p.change) for p in chart.points] == [(0, 0), (3, 3), (3, 0), (7, 4)]
    assert [p.day.day for p in chart.change_points] == [2, 4]


def test_chart_escapes_the_title():
    chart = progress_chart_svg(
        [], target=0, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 2), title="<b>&"
    )
    root = parse(chart.svg)
    assert root.find(f"{SVG}title").text == "Perkembangan perekaman: <b>&"
    assert root.find(f"{SVG}desc").text == "Belum ada hasil perekaman."


def test_chart_numbers_in_indonesian_format():
    chart = progress_chart_svg(
        series(0, 1667), target=2100, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 12, 31), title="Demo"
    )
    texts = [t.text for t in parse(chart.svg).iter(f"{SVG}text")]
    assert "Sasaran 2.100" in texts
    assert "1.667 (79,38\u00a0%)" in texts
    assert "2.500" in texts  # the y axis rounds up to a readable maximum
