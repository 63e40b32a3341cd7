"""axe-core (WCAG 2.0 A/AA, 2.1 AA) finds no violations on the main pages of every role, at 1280 px
and at 360 px wide; keyboard focus rings have at least 3:1 contrast.

axe-core is vendored in tests/vendor (see its README) and injected into each page; the test
contexts bypass the app's CSP only for that injected script. One browser for all pages.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from recordings.models import Recording, Visit
from tests import factories
from tests.conftest import login_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
WIDTHS = (1280, 360)
RUN_AXE = """
async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 5).map(
      n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1, 2).join("")
    )
  }));
}
"""

# The focused element's outline against the colour behind it (the ring is drawn outside the control).
FOCUS_RING = """
() => {
  const el = document.activeElement;
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let surface = el.parentElement, behind = [255, 255, 255];
  for (; surface; surface = surface.parentElement) {
    const c = rgb(getComputedStyle(surface).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { behind = c.slice(0, 3); break; }
  }
  const style = getComputedStyle(el);
  const ring = rgb(style.outlineColor).slice(0, 3);
  const [hi, lo] = [luminance(ring), luminance(behind)].sort((a, b) => b - a);
  return {
    element: el.outerHTML.slice(0, 80), focusVisible: el.matches(":focus-visible"),
    style: style.outlineStyle, width: parseFloat(style.outlineWidth), ratio: (hi + 0.05) / (lo + 0.05),
  };
}
"""


# Text against the element's own background (or the first opaque one behind it), e.g. on hover.
TEXT_CONTRAST = """
(selector) => {
  const el = document.querySelector(selector);
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let behind = [255, 255, 255];
  for (let node = el; node; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { behind = c.slice(0, 3); break; }
  }
  const [hi, lo] = [luminance(rgb(getComputedStyle(el).color)), luminance(behind)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}
"""


def focus_ring_problems(page) -> list[str]:
    ring = page.evaluate(FOCUS_RING)
    if not ring["focusVisible"] or ring["style"] == "none" or ring["width"] < 2 or ring["ratio"] < 3:
        return [f"focus ring too faint: {ring}"]
    return []


@pytest.fixture
def pages_world(db):
    """A drive with a visit in progress (outcomes of every kind), one finished visit, and one user per role."""
    school = factories.SchoolFactory(name="SMA Negeri 1 Aksesibel")
    drive = factories.DriveFactory(schools=[school])
    visit, students = factories.visit_with_students(students=8, school=school, drive=drive)
    for student, outcome in zip(students, Recording.Outcome.values, strict=False):
        factories.RecordingFactory(
            visit=visit, student=student, outcome=outcome, reason="Pindah domisili" if outcome == "not_eligible" else ""
        )
    done, _ = factories.visit_with_students(
        students=2,
        drive=drive,
        status=Visit.Status.DONE,
        finished_at=timezone.now() - datetime.timedelta(days=1),
    )
    users = {
        "admin": factories.SchoolAdminUserFactory(username="a11y-sekolah", school=school),
        "operator": factories.OperatorFactory(username="a11y-operator"),
        "supervisor": factories.SupervisorFactory(username="a11y-supervisor"),
        "superuser": factories.SuperuserFactory(username="a11y-root"),
    }
    paths = {
        "anon": ["/masuk/"],
        "admin": [
            "/",
            f"/sekolah/{school.npsn}/peserta-didik/",
            f"/kunjungan/{visit.pk}/",
            f"/progres/sekolah/{school.pk}/",
        ],
        "operator": ["/", "/kunjungan/", f"/kunjungan/{visit.pk}/", "/progres/"],
        "supervisor": [
            "/",
            f"/kegiatan/{drive.pk}/",
            f"/kunjungan/{visit.pk}/riwayat/?siswa={students[0].pk}",
            "/progres/",
            "/akun-sekolah/",
            "/daftar-siswa/unggahan/",
            f"/sekolah/{school.npsn}/peserta-didik/",
        ],
        "superuser": ["/"],
    }
    return {"users": users, "paths": paths, "visit_path": f"/kunjungan/{visit.pk}/"}


def test_no_axe_violations_on_every_roles_main_pages(browser_page, pages_world):
    browser = browser_page.context.browser
    base = browser_page.live_server_url
    problems = []
    for role, user in [("anon", None), *pages_world["users"].items()]:
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.live_server_url = base
        if user is not None:
            login_in_browser(page, user.username)
            page.wait_for_url(base + "/**")
        for path in pages_world["paths"][role]:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(base + path)
                assert response.status == 200, (role, path, response.status)
                page.wait_for_load_state("load")
                page.add_script_tag(path=str(AXE))
                for violation in page.evaluate(RUN_AXE):
                    problems.append(f"{role} {path} @{width}px: {violation}")
        if role == "operator":
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(base + pages_world["visit_path"])
            for _ in range(4):  # skip link, brand, first navigation link
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.classList.contains('nav-link')"):
                    break
            problems += focus_ring_problems(page)
            page.focus('.outcome-buttons button[aria-pressed="true"]')
            problems += focus_ring_problems(page)
            absent = '.outcome-buttons button.btn-outline-secondary[value="absent"]'
            page.hover(absent)
            page.wait_for_timeout(300)  # Bootstrap's colour transition
            ratio = page.evaluate(TEXT_CONTRAST, absent)
            if ratio < 4.5:
                problems.append(f"'Tidak hadir' on hover: {ratio:.2f}:1")
        context.close()
    assert not problems, "\n".join(problems)
