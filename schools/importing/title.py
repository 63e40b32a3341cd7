"""Compare the school named in a Dapodik export's title lines with the school chosen for the upload."""

from __future__ import annotations

import datetime
import re

_SCHOOL_LINE = re.compile(r"^(SMA|SMK|MA|MAN|MAS|SMAN|SMAS|SMKN|SMKS|SLB|SLBN|SMALB|MAK)\b", re.IGNORECASE)
_NEGERI = re.compile(r"\b(SMA|SMK|MA|SLB)\s+NEGERI\b")
_SWASTA = re.compile(r"\b(SMA|SMK|MA|SLB)\s+SWASTA\b")


def school_key(name: str) -> str:
    """Fold a school name for comparison: case, spaces, punctuation, "SMA Negeri" = "SMAN"."""
    text = " ".join(name.upper().split())
    text = _NEGERI.sub(r"\1N", text)
    text = _SWASTA.sub(r"\1S", text)
    return re.sub(r"[^0-9A-Z]", "", text)


def school_in_title(title: list[str]) -> str | None:
    """Return the title line that names a school (Dapodik: the line under "Daftar Peserta Didik")."""
    for line in title:
        if _SCHOOL_LINE.match(line.strip()):
            return line.strip()
    return None


def title_names_another_school(title: list[str], school_name: str) -> str | None:
    """Return the school named in the title when it is not ``school_name``; None when it matches
    or the title names no school."""
    named = school_in_title(title)
    if named is None or school_key(named) == school_key(school_name):
        return None
    return named


_DOWNLOADED = re.compile(r"Tanggal Unduh\s*:\s*(\d{4})-(\d{2})-(\d{2})", re.IGNORECASE)


def download_date_in_title(title: list[str]) -> datetime.date | None:
    """The date in Dapodik's "Tanggal Unduh: 2026-08-03 09:14:22" title line, or None."""
    for line in title:
        found = _DOWNLOADED.search(line)
        if found:
            try:
                return datetime.date(*map(int, found.groups()))
            except ValueError:
                return None
    return None
