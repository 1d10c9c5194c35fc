"""Hostile definition documents and office files: only a MigrantCareError comes out.

Every public way in is tried: ``load_workflow`` (a file), ``loads_workflow`` (TOML or
JSON text), ``workflow_from_dict`` (a parsed document), ``Offices.from_file`` and
``Offices.from_mapping``. A document that loads must build or be refused, and what
builds must write its diagram and document as valid UTF-8.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import datetime as dt
import json
import pathlib
import tempfile
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import (
    Office,
    Offices,
    WorkingCalendar,
    complaint_spec,
    dump_workflow,
    load_workflow,
    loads_workflow,
    workflow_from_dict,
    workflow_schema,
    workflow_to_dict,
)
from migrantcare.definitions._definition import tomllib  # tomli on Python 3.10
from migrantcare.exceptions import (
    DefinitionFileError,
    MigrantCareError,
    MissingMessageError,
    OfficeConfigError,
)
from tests.strategies import LONE_SURROGATES, REPLACEMENTS

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"
COMPLAINT = workflow_to_dict(complaint_spec())
FORMAT = COMPLAINT["format"]
SCHEMA = jsonschema.Draft202012Validator(workflow_schema())
OFFICES = Offices.from_file(EXAMPLES / "offices.toml")
OFFICE_DATA = {
    "office": [
        {
            "id": "bp3mi-ntb",
            "name_id": "BP3MI Nusa Tenggara Barat",
            "name_en": "BP3MI West Nusa Tenggara",
            "province": "Nusa Tenggara Barat",
            "head_title_id": "Kepala BP3MI NTB",
            "head_title_en": "Head of BP3MI NTB",
            "address": "Jl. Contoh No. 2, Mataram",
            "contact": "Telepon 000-0001",
            "closures": [{"dates": ["2026-03-03"], "name": "Banjir", "name_en": "Flood"}],
        },
        {
            "id": "p4mi-lombok-timur",
            "name_id": "P4MI Lombok Timur",
            "name_en": "P4MI East Lombok",
            "province": "Nusa Tenggara Barat",
            "head_title_id": "Kepala P4MI",
            "head_title_en": "Head of P4MI",
            "parent": "bp3mi-ntb",
        },
    ]
}


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[object, ...], value: object) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _drop(doc: Any, path: tuple[object, ...]) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


def _file(name: str, content: bytes) -> pathlib.Path:
    path = pathlib.Path(tempfile.mkdtemp()) / name
    path.write_bytes(content)
    return path


def _refusal(call: Callable[[], object], error: type[MigrantCareError]) -> str | None:
    """The message of the ``error`` ``call`` raises, or ``None`` when it returns."""
    try:
        call()
    except error as exc:
        return str(exc)
    return None


def _built_and_written(doc: object) -> None:
    """Load ``doc``; what loads builds or is refused, and writes valid UTF-8."""
    refused = _refusal(lambda: workflow_from_dict(doc), DefinitionFileError)  # type: ignore[arg-type]
    if refused is not None:
        assert len(refused) < 2_100
        return
    spec = workflow_from_dict(doc)  # type: ignore[arg-type]
    dump_workflow(spec).encode("utf-8")
    try:
        workflow = spec.build()
    except MigrantCareError:
        return
    for lang in ("id", "en"):
        workflow.mermaid(lang).encode("utf-8")


# --------------------------------------------------------------------------- definitions

DEEP_TOML = "x = " + "{a = " * 5000 + "1" + "}" * 5000
DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("text", "fmt"), [(DEEP_TOML, "toml"), (DEEP_JSON, "json")])
def test_deep_nesting_is_a_definition_file_error(text: str, fmt: str) -> None:
    with pytest.raises(DefinitionFileError, match="nests deeper than 32 levels"):
        loads_workflow(text, format=fmt)  # type: ignore[arg-type]
    path = _file(f"deep.{fmt}", text.encode())
    with pytest.raises(DefinitionFileError, match=r"deep\.\w+: nests deeper than 32 levels"):
        load_workflow(path)


def test_brackets_inside_strings_and_comments_do_not_count_as_nesting() -> None:
    doc = copy.deepcopy(COMPLAINT)
    doc["description"] = "[" * 100 + "{" * 100
    text = dump_workflow(workflow_from_dict(doc)) + "# " + "[" * 100 + "\n"
    assert loads_workflow(text, format="toml").description == "[" * 100 + "{" * 100
    assert loads_workflow(json.dumps(doc), format="json").description.startswith("[[[")


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (codecs.BOM_UTF16_LE + "format = 'x'".encode("utf-16-le"), "is UTF-16 text"),
        (codecs.BOM_UTF16_BE + "format = 'x'".encode("utf-16-be"), "is UTF-16 text"),
        (codecs.BOM_UTF32_LE + "format = 'x'".encode("utf-32-le"), "is UTF-32 text"),
        ("format = 'x'".encode("utf-16-le"), "holds NUL bytes"),
        (bytes(range(256)) * 4, r"is not UTF-8 text \(byte 0x80 at offset 128"),
        (b"name = '\xe9t\xe9'", r"is not UTF-8 text \(byte 0xe9"),
    ],
)
def test_a_file_that_is_not_utf8_is_named_with_its_encoding(content: bytes, found: str) -> None:
    path = _file("ntb.toml", content)
    with pytest.raises(DefinitionFileError, match=f"ntb.toml: the file {found}") as info:
        load_workflow(path)
    assert "save it as UTF-8" in str(info.value)
    with pytest.raises(OfficeConfigError, match=f"ntb.toml: the file {found}"):
        Offices.from_file(path)


def test_a_utf8_file_with_a_byte_order_mark_loads() -> None:
    text = dump_workflow(complaint_spec())
    assert load_workflow(_file("c.toml", codecs.BOM_UTF8 + text.encode())) == complaint_spec()
    office_text = (EXAMPLES / "offices.toml").read_bytes()
    assert Offices.from_file(_file("o.toml", codecs.BOM_UTF8 + office_text)) == OFFICES


SURROGATE_PATHS = [
    ("description",),
    ("states", 0, "label_id"),
    ("states", 3, "label_en"),
    ("transitions", 0, "label_en"),
    ("sla", "policies", 0, "description"),
    ("sla", "policies", 0, "source"),
    ("permissions", "rules", 0, "source"),
    ("notices", 0, "values", "contact"),
]


@pytest.mark.parametrize("path", SURROGATE_PATHS)
def test_lone_surrogates_are_refused_at_load_naming_the_key(path: tuple[object, ...]) -> None:
    parent = COMPLAINT
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    if path[-1] not in parent:  # type: ignore[operator]
        pytest.fail(f"the complaint document has no {path}")
    doc = _set(COMPLAINT, path, "Tahap a\ud800b")
    where = ".".join(str(k) for k in path).replace(".0", "[0]").replace(".3", "[3]")
    with pytest.raises(DefinitionFileError, match="lone surrogate") as info:
        workflow_from_dict(doc)
    assert info.value.path == where
    # JSON text may spell one as an escape
    with pytest.raises(DefinitionFileError, match="lone surrogate"):
        loads_workflow(json.dumps(doc), format="json")


def test_a_lone_surrogate_in_a_key_is_refused() -> None:
    doc = _set(COMPLAINT, ("notices", 0, "values"), {"a\udc80": "case.id"})
    with pytest.raises(DefinitionFileError, match="lone surrogate"):
        workflow_from_dict(doc)


@pytest.mark.parametrize(
    ("path", "value", "where", "allowed"),
    [
        (("version",), 0, "version", "between 1 and 2147483647"),
        (("version",), 2**31, "version", "between 1 and 2147483647"),
        (("version",), 10**400, "version", r"beyond ±\(2\*\*63 - 1\)"),
        (
            ("sla", "policies", 0, "target"),
            {"unit": "elapsed", "days": 10**18},
            "sla.policies[0].target.days",
            "between 0 and 36525",
        ),
        (
            ("sla", "policies", 0, "target"),
            {"unit": "working_time", "hours": 10**12},
            "sla.policies[0].target.hours",
            "between 0 and 876600",
        ),
        (
            ("sla", "policies", 0, "target"),
            {"unit": "working_days", "days": 10**18},
            "sla.policies[0].target.days",
            "between 1 and 26000",
        ),
        (
            ("sla", "policies", 0, "target"),
            {"unit": "elapsed", "seconds": -1},
            "sla.policies[0].target.seconds",
            "between 0 and",
        ),
    ],
)
def test_numbers_out_of_range_are_refused_at_load_naming_the_key(
    path: tuple[object, ...], value: object, where: str, allowed: str
) -> None:
    with pytest.raises(DefinitionFileError, match=allowed) as info:
        workflow_from_dict(_set(COMPLAINT, path, value))
    assert info.value.path == where
    assert len(str(info.value)) < 300


def test_a_document_with_the_largest_version_opens_cases() -> None:
    workflow = workflow_from_dict(_set(COMPLAINT, ("version",), 2**31 - 1)).build()
    assert workflow.version == 2**31 - 1


# The shipped JSON Schema and the loader judge the same documents the same way.
DISAGREEMENTS = [
    ("version = 0", _set(COMPLAINT, ("version",), 0)),
    ("a 400-digit version", _set(COMPLAINT, ("version",), 10**400)),
    ('channels = "sms"', _set(COMPLAINT, ("notices", 0, "channels"), "sms")),
    ("no states", _drop(COMPLAINT, ("states",))),
    ("no transitions", _drop(COMPLAINT, ("transitions",))),
    ("warn_at = [1.5]", _set(COMPLAINT, ("sla", "policies", 0, "warn_at"), [1.5])),
    ("warn_at = [0]", _set(COMPLAINT, ("sla", "policies", 0, "warn_at"), [0])),
    ('roles = "officer"', _set(COMPLAINT, ("permissions", "rules", 0, "roles"), "officer")),
    ('remove_goals = "x"', {"format": FORMAT, "extends": "complaint", "remove_goals": "x"}),
    (
        "elapsed days = 10**18",
        _set(COMPLAINT, ("sla", "policies", 0, "target"), {"unit": "elapsed", "days": 10**18}),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "doc"), DISAGREEMENTS, ids=[n for n, _ in DISAGREEMENTS])
def test_the_schema_and_the_loader_refuse_the_same_documents(name: str, doc: object) -> None:
    assert not SCHEMA.is_valid(doc), name
    with pytest.raises(DefinitionFileError):
        workflow_from_dict(doc)  # type: ignore[arg-type]


def test_warn_at_names_the_offending_item() -> None:
    doc = _set(COMPLAINT, ("sla", "policies", 0, "warn_at"), [0.5, 1.5])
    with pytest.raises(DefinitionFileError, match="between 0 and 1") as info:
        workflow_from_dict(doc)
    assert info.value.path == "sla.policies[0].warn_at[1]"


# a full definition and one that extends the complaint workflow
DOCS = {
    "complaint": COMPLAINT,
    "pengaduan_ntb": tomllib.loads((EXAMPLES / "pengaduan_ntb.toml").read_text("utf-8")),
}
DOC_PATHS = [(name, path) for name, doc in DOCS.items() for path in _paths(doc)]
SHAPES = st.one_of(
    REPLACEMENTS,
    st.sampled_from(["sms", ["sms"], [], {}, 0, 1, -1, 1.5, 0.5, 2**31, "*", "x y", "X"]),
)


@given(where=st.sampled_from(DOC_PATHS), value=SHAPES, drop=st.booleans())
def test_what_the_loader_accepts_the_schema_accepts(
    where: tuple[str, tuple[object, ...]], value: object, drop: bool, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    name, path = where
    doc = _drop(DOCS[name], path) if drop else _set(DOCS[name], path, value)
    try:
        workflow_from_dict(doc)
    except DefinitionFileError:
        return
    errors = [e.message for e in SCHEMA.iter_errors(doc)]
    assert not errors, (path, value, errors[:3])


@given(where=st.sampled_from(DOC_PATHS), value=SHAPES, drop=st.booleans())
def test_a_mutated_definition_loads_builds_or_is_refused(
    where: tuple[str, tuple[object, ...]], value: object, drop: bool, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    name, path = where
    _built_and_written(_drop(DOCS[name], path) if drop else _set(DOCS[name], path, value))


@given(text=st.text(max_size=200) | st.sampled_from([DEEP_TOML[:2000], "[" * 40, "{" * 40]))
def test_any_text_is_a_definition_or_a_definition_file_error(
    text: str, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    for fmt in ("toml", "json"):
        try:
            spec = loads_workflow(text, format=fmt)  # type: ignore[arg-type]
        except DefinitionFileError:
            continue
        _built_and_written(workflow_to_dict(spec))


@given(content=st.binary(max_size=300), suffix=st.sampled_from([".toml", ".json"]))
def test_any_file_is_a_definition_or_a_definition_file_error(
    content: bytes, suffix: str, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    path = _file("any" + suffix, content)
    for refused in (
        _refusal(lambda: load_workflow(path), DefinitionFileError),
        _refusal(lambda: Offices.from_file(path), OfficeConfigError),
    ):
        assert refused is None or refused.startswith(str(path))


def test_extends_and_build_stay_linear_in_the_number_of_states() -> None:
    # 8,000 states: about a minute each for extends and build when they were quadratic
    n = 8_000
    states = [{"id": f"s{i}", "label_id": f"Tahap {i}", "label_en": f"Step {i}"} for i in range(n)]
    states[-1]["terminal"] = True
    transitions = [{"trigger": "detour", "sources": ["registered"], "dest": "s0"}] + [
        {"trigger": f"go{i}", "sources": [f"s{i}"], "dest": f"s{i + 1}"} for i in range(n - 1)
    ]
    rules = [{"action": t["trigger"], "roles": ["officer"]} for t in transitions]
    doc = {
        "format": FORMAT,
        "extends": "complaint",
        "states": states,
        "transitions": transitions,
        "permissions": {"rules": rules},
    }
    workflow = loads_workflow(json.dumps(doc), format="json").build()
    assert len(workflow.states) == len(complaint_spec().states) + n
    assert workflow.destination(f"s{n - 2}", f"go{n - 2}") == f"s{n - 1}"
    assert workflow.spec.permissions is not None
    assert workflow.spec.permissions.rule(f"go{n - 2}").roles == ("officer",)


# --------------------------------------------------------------------------- offices


def test_closures_that_are_not_a_list_are_an_office_config_error() -> None:
    data = _set(OFFICE_DATA, ("office", 0, "closures"), 5)
    with pytest.raises(OfficeConfigError, match=r"office\[0\].closures: must be a list"):
        Offices.from_mapping(data)


@pytest.mark.parametrize(
    "path",
    [
        ("office", 0, "name_id"),
        ("office", 0, "name_en"),
        ("office", 0, "address"),
        ("office", 0, "contact"),
        ("office", 0, "head_title_id"),
        ("office", 0, "closures", 0, "name"),
        ("office", 0, "closures", 0, "name_en"),
    ],
)
def test_lone_surrogates_in_offices_are_refused_at_load(path: tuple[object, ...]) -> None:
    with pytest.raises(OfficeConfigError, match="lone surrogate") as info:
        Offices.from_mapping(_set(OFFICE_DATA, path, "Kantor \ud800"), source="o.toml")
    assert str(info.value).startswith("o.toml: office[0].")


@pytest.mark.parametrize("field", ["name_id", "name_en", "head_title_en", "address", "contact"])
def test_an_office_refuses_a_lone_surrogate(field: str) -> None:
    args: dict[str, Any] = {
        "id": "bp3mi-ntb",
        "name_id": "BP3MI NTB",
        "name_en": "BP3MI West Nusa Tenggara",
        "province": "Nusa Tenggara Barat",
        "calendar": WorkingCalendar.for_province("Nusa Tenggara Barat"),
        "head_title_id": "Kepala BP3MI NTB",
        "head_title_en": "Head of BP3MI NTB",
    }
    with pytest.raises(MigrantCareError, match="lone surrogate"):
        Office(**{**args, field: "a\udfffb"})


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.toml", "office = " + "[" * 5000 + "]" * 5000),
        ("deep.toml", "[[office]]\nid = " + "{a = " * 5000 + "1" + "}" * 5000),
        ("deep.json", '{"office": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ],
)
def test_a_deeply_nested_office_file_is_an_office_config_error(name: str, text: str) -> None:
    with pytest.raises(OfficeConfigError, match="nests deeper than 32 levels"):
        Offices.from_file(_file(name, text.encode()))


def test_a_deeply_nested_office_mapping_is_an_office_config_error() -> None:
    deep: object = "x"
    for _ in range(50_000):
        deep = [deep]
    with pytest.raises(OfficeConfigError, match="nests deeper than 32 levels"):
        Offices.from_mapping(_set(OFFICE_DATA, ("office", 0, "address"), deep))


def test_office_names_answer_in_two_languages_only() -> None:
    ntb = OFFICES["bp3mi-ntb"]
    assert ntb.name("in") == ntb.name("id") == ntb.name("id-ID") == ntb.name_id
    assert ntb.name("en") == ntb.name("en-GB") == ntb.name_en
    assert ntb.name_id != ntb.name_en
    with pytest.raises(MissingMessageError, match="'fr'"):
        ntb.name("fr")


OFFICE_PATHS = _paths(OFFICE_DATA)


@given(path=st.sampled_from(OFFICE_PATHS), value=REPLACEMENTS | LONE_SURROGATES, drop=st.booleans())
def test_a_mutated_office_directory_loads_or_is_an_office_config_error(
    path: tuple[object, ...], value: object, drop: bool, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    data = _drop(OFFICE_DATA, path) if drop else _set(OFFICE_DATA, path, value)
    refused = _refusal(lambda: Offices.from_mapping(data), OfficeConfigError)
    if refused is not None:
        assert len(refused) < 2_100
        return
    for office in Offices.from_mapping(data):
        for lang in ("id", "en"):
            office.name(lang).encode("utf-8")
        (office.address + office.contact).encode("utf-8")


ENTRY_POINTS: list[tuple[str, Callable[[Any], object]]] = [
    ("Offices.from_mapping", Offices.from_mapping),
    ("Offices.from_mapping source", lambda v: Offices.from_mapping(OFFICE_DATA, source=v)),
    ("Offices.from_file", Offices.from_file),
    ("Office.name", OFFICES["bp3mi-ntb"].name),
    ("workflow_from_dict", workflow_from_dict),
    ("loads_workflow", loads_workflow),
    ("loads_workflow file", lambda v: loads_workflow("", file=v)),
    ("load_workflow", load_workflow),
]


@given(
    entry=st.sampled_from(ENTRY_POINTS),
    value=REPLACEMENTS | LONE_SURROGATES | st.sampled_from(["", "\x00", "a\x00b.toml", "x" * 5000]),
)
def test_every_file_and_office_entry_point_refuses_with_a_migrantcare_error(
    entry: tuple[str, Callable[[object], object]], value: object, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    with contextlib.suppress(MigrantCareError):
        entry[1](value)


def test_the_example_office_file_still_loads() -> None:
    assert OFFICES.ids[:2] == ("call-centre", "bp3mi-ntb")
    assert OFFICES.calendar("bp3mi-ntb").is_working_day(dt.date(2026, 3, 3)) is False


NTB = DOCS["pengaduan_ntb"]


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        (_set(NTB, ("name",), "X Y"), "name"),
        (
            _set(NTB, ("transitions", 0, "guards", 0, "require_data"), ""),
            "transitions[0].guards[0]",
        ),
    ],
    ids=["extended name", "require_data key"],
)
def test_what_a_part_refuses_is_a_definition_file_error_naming_the_key(
    doc: object, where: str
) -> None:
    with pytest.raises(DefinitionFileError) as info:
        workflow_from_dict(doc)  # type: ignore[arg-type]
    assert info.value.path == where
