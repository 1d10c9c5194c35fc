"""The shipped JSON Schemas describe exactly what migrantcare writes."""

from __future__ import annotations

import datetime as dt
import io
import json
import pathlib

import jsonschema
import pytest
import sqlalchemy as sa
from hypothesis import given

from migrantcare import (
    Case,
    WorkingCalendar,
    complaint_workflow,
    erase_personal_data,
    json_schema,
)
from migrantcare.definitions._schemas import SCHEMA_NAMES
from migrantcare.exceptions import InvalidArgumentError
from migrantcare.sql import SqlCaseStore, create_all
from tests import strategies
from tests.actors import actor
from tests.store_support import at, open_case

CASE = jsonschema.Draft202012Validator(json_schema("case"))
EVENT = jsonschema.Draft202012Validator(json_schema("event"))
DOCS = pathlib.Path(__file__).parent.parent / "docs"


def lived(cal: WorkingCalendar) -> Case:
    """A complaint with SLA warnings, a breach, an escalation and an erasure."""
    wf = complaint_workflow()
    case = open_case(wf, cal, "PGD-9")
    case = wf.fire(case, "start_verification", at=at(30), by=actor("officer-a"), calendar=cal)
    case = wf.advance(case, at=at(60 * 24 * 30), calendar=cal)
    return erase_personal_data(case, at=at(60 * 24 * 31), by=actor("dpo-1"))


def test_the_schemas_are_valid_draft_2020_12() -> None:
    for name in SCHEMA_NAMES:
        schema = json_schema(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_case_schema_embeds_the_event_schema() -> None:
    event = json_schema("event")
    for key in ("$schema", "$id", "title", "$defs"):
        del event[key]
    assert json_schema("case")["$defs"]["event"] == event


def test_a_lived_case_and_its_events_validate(cal_wita: WorkingCalendar) -> None:
    case = lived(cal_wita)
    kinds = {e.kind for e in case.events}
    assert {"opened", "transition", "sla", "erased"} <= kinds
    assert case.clocks
    CASE.validate(case.to_dict())
    for event in case.events:
        EVENT.validate(event.to_dict())


@given(strategies.cases())
def test_generated_cases_validate(case: Case) -> None:
    CASE.validate(json.loads(json.dumps(case.to_dict())))


def test_the_store_export_validates(tmp_path: pathlib.Path, cal_wita: WorkingCalendar) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    create_all(engine)
    store = SqlCaseStore(engine, complaint_workflow(), calendar=cal_wita)
    store.add(lived(cal_wita))
    for by in (None, actor("dpo-1")):
        out = io.StringIO()
        store.export_jsonl(out, by=by)
        for line in out.getvalue().splitlines():
            CASE.validate(json.loads(line))
    engine.dispose()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["events"][0].pop("hash"),
        lambda d: d["events"][0].__setitem__("at", "2026-03-02T09:00:00+08:00"),
        lambda d: d.__setitem__("schema", "migrantcare.case/1"),
        lambda d: d["complainant"].__setitem__("nik", "123"),
        lambda d: d.__setitem__("surprise", 1),
    ],
)
def test_spoiled_documents_do_not_validate(spoil: object, cal_wita: WorkingCalendar) -> None:
    doc = open_case(complaint_workflow(), cal_wita, "PGD-1").to_dict()
    spoil(doc)  # type: ignore[operator]
    with pytest.raises(jsonschema.ValidationError):
        CASE.validate(doc)


def test_unknown_schema_name() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match="no JSON Schema 'person'; shipped: case, event, sla_status, case_summary, notice",
    ):
        json_schema("person")


def test_the_docs_show_the_shipped_schemas() -> None:
    page = (DOCS / "reference" / "json-schema.md").read_text(encoding="utf-8")
    for name in SCHEMA_NAMES:
        assert f'--8<-- "src/migrantcare/schemas/{name}.schema.json"' in page
    assert dt.timezone.utc  # the documents' instants are UTC
