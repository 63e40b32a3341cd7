import pytest

from schools.importing.title import school_in_title, school_key, title_names_another_school

TITLE = [
    "Daftar Peserta Didik",
    "SMAN 1 BATANG HARI",
    "Kecamatan Kec. Muara Bulian, Kabupaten Kab. Batang Hari, Provinsi Prov. Jambi",
    "Tanggal Unduh: 2026-08-03 09:14:22    Pengunduh: operator sekolah",
]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SMAN 1 BATANG HARI", "SMA Negeri 1 Batanghari"),
        ("SMKN 6 BATANGHARI", "smk  negeri 6 batang hari"),
        ("MAS AS-SULTHON", "MAS As Sulthon"),
    ],
)
def test_school_names_fold_to_the_same_key(a, b):
    assert school_key(a) == school_key(b)


def test_different_numbers_or_levels_differ():
    assert school_key("SMAN 1 BATANG HARI") != school_key("SMAN 11 BATANG HARI")
    assert school_key("SMAN 1 BATANG HARI") != school_key("SMKN 1 BATANG HARI")


def test_school_line_found_in_the_dapodik_title():
    assert school_in_title(TITLE) == "SMAN 1 BATANG HARI"
    assert school_in_title(["Daftar Peserta Didik"]) is None


def test_title_names_another_school():
    assert title_names_another_school(TITLE, "SMA Negeri 1 Batanghari") is None
    assert title_names_another_school(TITLE, "SMAN 2 BATANG HARI") == "SMAN 1 BATANG HARI"
    assert title_names_another_school([], "SMAN 2 BATANG HARI") is None
