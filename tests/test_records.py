"""The records' fast constructors build exactly what attrs would, and skip nothing.

``new_case``, ``next_case``, ``new_event``, ``new_clock`` and ``_new_status`` build frozen
records without attrs' ``__init__`` (one per event on the hot path). That is only sound
while the records have no validators, converters or init hooks for them to skip: these
tests fail the day one is added, and when a field is added that a constructor misses.
"""

from __future__ import annotations

import inspect
import pathlib
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import pytest

from migrantcare import Actor, Case, CaseEvent, Offices, SlaClock, SlaStatus, complaint_workflow
from migrantcare.records._case import new_case, new_event, next_case
from migrantcare.records._sla_state import new_clock
from migrantcare.sla._sla import _new_status

OFFICES = Offices.from_file(pathlib.Path(__file__).parent.parent / "examples" / "offices.toml")
WF = complaint_workflow().bind(OFFICES)
AGENT = Actor("cc-1", roles={"call_centre"}, office="call-centre")
OFFICER = Actor("officer-7", roles={"officer"}, office="bp3mi-ntt")

RECORDS: list[tuple[type[Any], Callable[..., Any]]] = [
    (Case, new_case),
    (CaseEvent, new_event),
    (SlaClock, new_clock),
    (SlaStatus, _new_status),
]


def _case() -> Case:
    at = pendulum.datetime(2026, 3, 17, 9, tz="Asia/Jakarta")
    case = WF.open("PGD-1", at=at, by=AGENT, office="bp3mi-ntt", category="other", channel="sms")
    return WF.fire(case, "start_verification", at=at.add(hours=2), by=OFFICER)


def _samples(cls: type[Any]) -> list[Any]:
    case = _case()
    return {
        Case: [case],
        CaseEvent: list(case.events),
        SlaClock: list(case.clocks),
        SlaStatus: list(WF.status(case, at=pendulum.datetime(2026, 3, 18, tz="UTC"))),
    }[cls]


@pytest.mark.parametrize(("cls", "fast"), RECORDS, ids=lambda v: getattr(v, "__name__", ""))
def test_no_validator_converter_or_hook_for_the_fast_constructor_to_skip(
    cls: type[Any], fast: Callable[..., Any]
) -> None:
    hooked = [f.name for f in attrs.fields(cls) if f.validator or f.converter]
    assert hooked == [], f"{cls.__name__} fields {hooked} would be skipped by {fast.__name__}"
    for hook in ("__attrs_pre_init__", "__attrs_post_init__", "__attrs_init_subclass__"):
        assert not hasattr(cls, hook), f"{cls.__name__}.{hook} would be skipped by {fast.__name__}"


@pytest.mark.parametrize(("cls", "fast"), RECORDS, ids=lambda v: getattr(v, "__name__", ""))
def test_the_fast_constructor_takes_every_field_and_builds_an_equal_record(
    cls: type[Any], fast: Callable[..., Any]
) -> None:
    names = [f.name for f in attrs.fields(cls)]
    assert list(inspect.signature(fast).parameters) == names
    samples = _samples(cls)
    assert samples
    for record in samples:
        values = {name: getattr(record, name) for name in names}
        built = fast(**values)
        assert type(built) is cls
        assert built == cls(**values) == record


def test_next_case_carries_every_other_field_over() -> None:
    case = _case()
    replaced = {
        "state": "closed",
        "events": case.events[:1],
        "clocks": case.clocks[:1],
        "calendar_version": "v-test",
        "calendar_zone": "Asia/Jayapura",
    }
    built = next_case(case, *replaced.values())
    assert type(built) is Case
    assert built == attrs.evolve(case, **replaced)
    for field in attrs.fields(Case):
        expected = replaced.get(field.name, getattr(case, field.name))
        assert getattr(built, field.name) is expected
