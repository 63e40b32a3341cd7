"""The English catalogue: every Indonesian text has a translation, and the compiled .mo matches."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _string(lines: list[str], key: str) -> str | None:
    """Join a (possibly multi-line) PO string that starts with ``key``."""
    for index, line in enumerate(lines):
        if line.startswith(key + " "):
            parts = [line[len(key) + 1 :]]
            for more in lines[index + 1 :]:
                if not more.startswith('"'):
                    break
                parts.append(more)
            return "".join(ast.literal_eval(part) for part in parts)
    return None


def entries() -> list[dict]:
    found = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        msgid = _string(lines, "msgid")
        if not msgid:
            continue  # the header
        found.append(
            {
                "msgid": msgid,
                "plural": _string(lines, "msgid_plural"),
                "msgstr": _string(lines, "msgstr")
                if _string(lines, "msgid_plural") is None
                else _string(lines, "msgstr[0]"),
                "context": _string(lines, "msgctxt"),
                "fuzzy": any(line.startswith("#,") and "fuzzy" in line for line in lines),
            }
        )
    return found


def test_every_text_has_an_english_translation():
    missing = [e["msgid"] for e in entries() if e["fuzzy"] or not e["msgstr"]]
    assert not missing, f"untranslated or fuzzy in {PO.name}: {missing[:10]}"


def test_compiled_catalogue_matches_the_po_file():
    """A .po edited without ``compilemessages`` would show Indonesian on the English pages."""
    stale = []
    with translation.override("en"):
        for e in entries():
            if e["plural"] is not None:
                got = translation.ngettext(e["msgid"], e["plural"], 1)
            elif e["context"] is not None:
                got = translation.pgettext(e["context"], e["msgid"])
            else:
                got = translation.gettext(e["msgid"])
            if got != e["msgstr"]:
                stale.append(e["msgid"])
    assert not stale, f"django.mo is older than django.po (run compilemessages): {stale[:10]}"
