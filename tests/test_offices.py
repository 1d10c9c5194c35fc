"""Offices and their registry: loading, validation, look-up, versions."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import attrs
import pytest

from migrantcare import Office, Offices, WorkingCalendar
from migrantcare.exceptions import (
    InvalidArgumentError,
    MigrantCareError,
    OfficeConfigError,
    UnknownOfficeError,
    UnknownProvinceError,
    WrongTypeError,
)
from migrantcare.offices._offices import tomllib  # tomli on Python 3.10

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "offices.toml"
NTB = WorkingCalendar.for_province("Nusa Tenggara Barat")


def office(office_id: str = "bp3mi-ntb", **kw: object) -> Office:
    args: dict[str, object] = {
        "id": office_id,
        "name_id": "BP3MI NTB",
        "name_en": "BP3MI West Nusa Tenggara",
        "province": "Nusa Tenggara Barat",
        "calendar": NTB,
        "head_title_id": "Kepala BP3MI NTB",
        "head_title_en": "Head of BP3MI NTB",
    }
    args.update(kw)
    return Office(**args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def offices() -> Offices:
    return Offices.from_file(EXAMPLE)


def test_the_example_directory_is_labelled_fiction() -> None:
    text = EXAMPLE.read_text()
    assert "FICTION" in text
    assert all("fiktif" in line or "fictional" in line for line in text.splitlines()
               if line.startswith(("name_id", "name_en", "address", "contact")))  # fmt: skip


def test_load_from_toml(offices: Offices) -> None:
    assert offices.ids == ("call-centre", "bp3mi-ntb", "p4mi-lombok-timur", "bp3mi-ntt")
    assert len(offices) == 4
    assert "bp3mi-ntb" in offices
    assert "nope" not in offices
    assert offices.calendar("bp3mi-ntb").tz == "Asia/Makassar"
    assert offices.calendar("call-centre").tz == "Asia/Jakarta"
    assert offices["p4mi-lombok-timur"].parent == "bp3mi-ntb"
    # the office's own closures are in its calendar only
    flood = offices.calendar("bp3mi-ntb").holidays_on(dt.date(2026, 3, 3))
    assert [(h.kind, h.name_en) for h in flood] == [("office", "Flood (fictional)")]
    assert offices.calendar("bp3mi-ntt").holidays_on(dt.date(2026, 3, 3)) == ()
    assert offices["bp3mi-ntb"].name("id-ID").startswith("BP3MI Nusa Tenggara Barat")
    assert offices["bp3mi-ntb"].name("en").startswith("BP3MI West")


def test_json_loads_the_same_directory(offices: Offices, tmp_path: pathlib.Path) -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    for entry in data["office"]:
        for closure in entry.get("closures", ()):
            closure["dates"] = [d.isoformat() for d in closure["dates"]]
    path = tmp_path / "offices.json"
    path.write_text(json.dumps(data))
    loaded = Offices.from_file(path)
    assert loaded == offices
    assert loaded.version == offices.version


_BASE = (
    '[[office]]\nid = "x"\nname_id = "a"\nname_en = "a"\nprovince = "Bali"\n'
    'head_title_id = "k"\nhead_title_en = "h"\n'
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[office]]\nid = "x"\n', r"office\[0\]\.name_id: missing"),
        (
            _BASE.replace('"Bali"', '"Atlantis"'),
            r"office\[0\]\.province: unknown province 'Atlantis'",
        ),
        (_BASE + 'colour = "red"\n', r"office\[0\]\.colour: unknown key"),
        (
            _BASE.replace('name_id = "a"', "name_id = 3"),
            r"office\[0\]\.name_id: must be a string, got int 3",
        ),
        (
            _BASE + '[[office.closures]]\ndates = ["2026-02-30"]\nname = "Banjir"\n',
            r"office\[0\]\.closures\[0\]\.dates\[0\]: not a date \(YYYY-MM-DD\): '2026-02-30'",
        ),
        (_BASE + 'parent = "y"\n', "names parent 'y'"),
        (_BASE.replace('id = "x"', 'id = "Bad Id"'), "not a valid office id"),
        ("office = 3\n", "'office' must be a list of tables"),
        ("[other]\n", "unknown top-level key 'other'"),
        ("[[office]\n", "not valid TOML"),
    ],
)
def test_file_errors_name_file_key_and_value(
    tmp_path: pathlib.Path, text: str, expected: str
) -> None:
    path = tmp_path / "dir.toml"
    path.write_text(text)
    with pytest.raises(OfficeConfigError, match=expected) as info:
        Offices.from_file(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unreadable_and_unknown_file_types(tmp_path: pathlib.Path) -> None:
    with pytest.raises(OfficeConfigError, match="cannot read"):
        Offices.from_file(tmp_path / "missing.toml")
    (tmp_path / "x.yaml").write_text("office: []")
    with pytest.raises(OfficeConfigError, match=r"use \.toml or \.json"):
        Offices.from_file(tmp_path / "x.yaml")


def test_office_validation() -> None:
    assert office(province="nusa tenggara barat").province == "Nusa Tenggara Barat"
    with pytest.raises(InvalidArgumentError, match="works in Asia/Makassar; its calendar is in"):
        office(calendar=WorkingCalendar.indonesia())
    with pytest.raises(UnknownProvinceError):
        office(province="Atlantis")
    with pytest.raises(InvalidArgumentError, match="own parent"):
        office(parent="bp3mi-ntb")
    with pytest.raises(InvalidArgumentError, match="name_id must not be empty"):
        office(name_id=" ")
    with pytest.raises(WrongTypeError, match="calendar must be a WorkingCalendar"):
        office(calendar="Asia/Makassar")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        office().name_id = "x"  # type: ignore[misc]


def test_registry_validation() -> None:
    a = office("a")
    with pytest.raises(InvalidArgumentError, match="given twice"):
        Offices([a, a])
    with pytest.raises(InvalidArgumentError, match="parent 'b', which is not in the registry"):
        Offices([office("a", parent="b")])
    with pytest.raises(InvalidArgumentError, match="cycle"):
        Offices([office("a", parent="b"), office("b", parent="a")])
    with pytest.raises(WrongTypeError, match="Office values"):
        Offices(["a"])  # type: ignore[list-item]
    with pytest.raises(WrongTypeError):
        Offices("ab")  # type: ignore[arg-type]


def test_lookup(offices: Offices) -> None:
    with pytest.raises(UnknownOfficeError, match="unknown office 'bp3mi-xx'; known offices:"):
        offices["bp3mi-xx"]
    with pytest.raises(LookupError):
        offices.calendar("bp3mi-xx")
    assert offices.get("bp3mi-xx") is None
    assert offices.get(3) is None  # type: ignore[arg-type]
    assert [o.id for o in offices] == list(offices.ids)
    assert "4 offices" in repr(offices)


def test_versions_change_with_any_calendar(offices: Offices) -> None:
    flooded = offices.with_closures("bp3mi-ntt", [dt.date(2026, 5, 4)], name="Banjir")
    assert flooded.version != offices.version
    assert flooded.calendar("bp3mi-ntt").version != offices.calendar("bp3mi-ntt").version
    assert flooded.calendar("bp3mi-ntb") is offices.calendar("bp3mi-ntb")
    assert offices.calendar("bp3mi-ntt").is_working_day(dt.date(2026, 5, 4))  # unchanged
    # replacing an office by an equal one keeps the version; adding one changes it
    assert offices.with_office(offices["bp3mi-ntt"]).version == offices.version
    bali = office("bp3mi-bali", province="Bali", calendar=WorkingCalendar.for_province("Bali"))
    bigger = offices.with_office(bali)
    assert bigger.version != offices.version
    assert (len(bigger), len(offices)) == (5, 4)
    with pytest.raises(UnknownOfficeError):
        offices.with_closures("nope", [dt.date(2026, 5, 4)])


def test_every_error_is_ours(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.json"
    for payload in ("[]", '{"office": [3]}', '{"office": [{"id": null}]}', "\xff"):
        path.write_bytes(payload.encode("latin-1"))
        with pytest.raises(MigrantCareError):
            Offices.from_file(path)
