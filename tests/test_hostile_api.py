"""Every public entry point, one argument at a time replaced by a hostile value.

Each row is a callable with arguments that work; the test swaps one of them for a
hostile value and requires that only a MigrantCareError comes out.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrantcare import (
    CATEGORIES,
    Actor,
    Case,
    CaseEvent,
    CaseMatch,
    Guard,
    InMemoryCaseStore,
    Office,
    Offices,
    Permissions,
    Person,
    Rule,
    SlaPolicy,
    SlaTarget,
    State,
    Transition,
    WorkflowSpec,
    WorkingCalendar,
    WorkSchedule,
    audit_trail,
    complaint_sla_plan,
    complaint_workflow,
    dump_workflow,
    erase_personal_data,
    load_workflow,
    loads_workflow,
    notices,
    office_report,
    replay,
    sms_info,
    workflow_from_dict,
    workflow_to_dict,
)
from migrantcare.exceptions import IntegrityError, MigrantCareError
from tests.actors import actor
from tests.strategies import (
    DEEP,
    HUGE_DURATIONS,
    HUGE_INTS,
    LONE_SURROGATES,
    NON_FINITE,
    WRONG_TYPES,
    extreme_datetimes,
)

WF = complaint_workflow()
CAL = WorkingCalendar.indonesia()
T = pendulum.datetime(2026, 3, 2, 9, tz="Asia/Jakarta")
CASE = WF.open(
    "P1",
    at=T,
    by=actor("cc"),
    office="o",
    category="other",
    channel="email",
    calendar=CAL,
    complainant=Person("Siti"),
)
CASE2 = WF.fire(
    CASE, "start_verification", at=T.add(hours=1), by=actor("o", office="o"), calendar=CAL
)
STORE = InMemoryCaseStore()
STORE.add(CASE)
PLAN = WF.spec.sla
assert PLAN is not None
D = dt.date(2026, 1, 5)
EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"
NTB = WorkingCalendar.for_province("Nusa Tenggara Barat")
OFFICE = {
    "id": "bp3mi-ntb",
    "name_id": "BP3MI Nusa Tenggara Barat",
    "name_en": "BP3MI West Nusa Tenggara",
    "province": "Nusa Tenggara Barat",
    "head_title_id": "Kepala BP3MI NTB",
    "head_title_en": "Head of BP3MI NTB",
}

# name: (callable, positional arguments, keyword arguments) that work as given
ROWS: dict[str, tuple[Callable[..., Any], list[Any], dict[str, Any]]] = {
    "WorkSchedule": (WorkSchedule, ["x", ((),) * 7], {}),
    "WorkingCalendar.indonesia": (
        WorkingCalendar.indonesia,
        [],
        {"tz": "Asia/Jakarta", "first_year": 2000, "last_year": 2030, "strict": False},
    ),
    "for_province": (WorkingCalendar.for_province, ["Bali"], {}),
    "in_zone": (CAL.in_zone, ["Asia/Makassar"], {}),
    "with_holidays": (CAL.with_holidays, [{dt.date(2026, 5, 5): ("a", "b")}], {}),
    "with_closures": (CAL.with_closures, [[dt.date(2026, 5, 5)]], {"name": "x", "name_en": "y"}),
    "holidays": (CAL.holidays, [2026], {}),
    "is_provisional": (CAL.is_provisional, [D], {}),
    "add_working_days": (CAL.add_working_days, [D, 3], {}),
    "working_days_between": (CAL.working_days_between, [D, dt.date(2026, 2, 5)], {}),
    "close_of_business": (CAL.close_of_business, [D], {}),
    "start_of_day": (CAL.start_of_day, [D], {}),
    "add_working_time": (CAL.add_working_time, [T, dt.timedelta(hours=2)], {}),
    "working_time_between": (CAL.working_time_between, [T, T.add(days=3)], {}),
    "to_ics": (CAL.to_ics, [2026], {}),
    "State": (State, ["s", "label", "label"], {}),
    "Transition": (Transition, ["go", "a", "b"], {}),
    "Guard.require_data": (Guard.require_data, ["reason"], {"allowed": ["a"]}),
    "allowed_events": (WF.allowed_events, [CASE], {}),
    "destination": (WF.destination, ["registered", "start_verification"], {}),
    "state": (WF.state, ["registered"], {}),
    "mermaid": (WF.mermaid, [], {"lang": "en"}),
    "migrate": (
        WF.spec.derive(version=2).build().migrate,
        [CASE],
        {"state_map": {}, "at": T.add(hours=2), "by": actor("x", "ministry_hq"), "calendar": CAL},
    ),
    "plan.policy": (PLAN.policy, ["verification", "default"], {}),
    "plan.without": (PLAN.without, ["verification"], {}),
    "plan.select": (PLAN.select, [CASE], {}),
    "CaseMatch.matches": (CaseMatch().matches, [CASE], {}),
    "office_report": (
        office_report,
        [[CASE2]],
        {
            "at": T.add(days=1),
            "workflows": WF,
            "calendars": CAL,
            "period_start": dt.date(2026, 1, 1),
            "period_end": dt.date(2026, 12, 31),
        },
    ),
    "store.get": (STORE.get, ["P1"], {}),
    "store.query": (STORE.query, [], {"office": "o", "due_before": T, "limit": 5}),
    "Vocabulary.extended": (CATEGORIES.extended, [{"x_y": ("a", "b")}], {}),
    "Vocabulary.label": (CATEGORIES.label, ["other", "en"], {}),
    "erase_personal_data": (erase_personal_data, [CASE2], {"at": T.add(hours=3), "by": actor("x")}),
    "complaint_sla_plan": (complaint_sla_plan, [], {"settlement_unit": "calendar_days"}),
    "workflow_to_dict": (workflow_to_dict, [WF.spec], {}),
    "loads_workflow": (loads_workflow, [json.dumps(workflow_to_dict(WF.spec))], {}),
    "workflow_from_dict": (workflow_from_dict, [workflow_to_dict(WF.spec)], {}),
    "load_workflow": (load_workflow, [EXAMPLES / "pengaduan_ntb.toml"], {}),
    "dump_workflow": (dump_workflow, [WF.spec, "json"], {}),
    "without_transition": (WF.spec.without_transition, ["reopen"], {"source": "closed"}),
    "Permissions.with_rules": (
        Permissions().with_rules,
        [{"verify": Rule(("officer",))}],
        {},
    ),
    "Offices.from_file": (Offices.from_file, [EXAMPLES / "offices.toml"], {"calendar": CAL}),
    "Offices.from_mapping": (
        Offices.from_mapping,
        [{"office": [{**OFFICE, "closures": [{"dates": ["2026-03-03"], "name": "x"}]}]}],
        {"source": "offices.toml", "calendar": CAL},
    ),
    "Office": (
        Office,
        ["bp3mi-ntb", "BP3MI NTB", "BP3MI West NTB", "Nusa Tenggara Barat", NTB],
        {"head_title_id": "Kepala", "head_title_en": "Head", "address": "a", "contact": "c"},
    ),
    "Office.name": (Office(calendar=NTB, **OFFICE).name, ["id"], {}),
    "audit_trail": (
        audit_trail,
        [[CASE, CASE2]],
        {
            "by": actor("o", office="o"),
            "role": "officer",
            "office": "o",
            "since": T,
            "until": T.add(days=1),
        },
    ),
    "sms_info": (sms_info, ["hello"], {}),
    "replay": (replay, [CASE2, WF], {"calendar": CAL}),
    "verify": (CASE2.verify, [], {"workflows": WF, "calendar": CAL}),
    "CaseEvent.from_dict": (CaseEvent.from_dict, [CASE.events[0].to_dict()], {}),
    "Case.from_dict": (Case.from_dict, [CASE.to_dict()], {}),
    "Person": (
        Person,
        ["Siti"],
        {"kind": "pmi", "passport_number": "1", "nik": "1" * 16, "phone": "1"},
    ),
    "notices": (notices, [WF, CASE2], {"office_name": "x", "contact": "y"}),
    "advance": (WF.advance, [CASE2], {"at": T.add(days=9), "calendar": CAL}),
    "status": (WF.status, [CASE2], {"at": T.add(days=9), "calendar": CAL}),
    "recompute": (WF.recompute, [CASE2], {"at": T.add(days=9), "calendar": CAL}),
    "next_due_at": (WF.next_due_at, [CASE2], {}),
    "due_cases": (WF.due_cases, [[CASE2]], {"at": T.add(days=9)}),
    "transfer": (
        complaint_workflow(sla=False).transfer,
        [
            complaint_workflow(sla=False).open(
                "T", at=T, by=actor("cc"), office="a", category="other", channel="sms"
            )
        ],
        {"to": "b", "at": T, "by": actor("cc", office="a")},
    ),
    "Actor": (Actor, ["u-1"], {"roles": {"officer"}, "office": "o"}),
    "SlaPolicy": (
        SlaPolicy,
        ["x", SlaTarget.working_days(1)],
        {
            "start_states": "a",
            "stop_states": "b",
            "warn_at": (0.5,),
            "escalate_with": "e",
            "variant": "v",
            "source": "s",
            "confirmed": True,
            "description": "d",
        },
    ),
}
SLOTS = [
    (name, slot)
    for name, (_f, args, kwargs) in ROWS.items()
    for slot in [*range(len(args)), *kwargs]
]
HOSTILE = st.one_of(
    WRONG_TYPES,
    NON_FINITE,
    HUGE_INTS,
    LONE_SURROGATES,
    DEEP,
    extreme_datetimes(),
    HUGE_DURATIONS,
    st.just("x" * 300_000),
    st.just([object()]),
    st.just({"a": object()}),
)


def test_every_row_works_as_given() -> None:
    for call, args, kwargs in ROWS.values():
        call(*args, **kwargs)


# about 150 slots: five times the profile's examples (40 in CI, 100 locally)
@settings(max_examples=5 * settings.default.max_examples)
@given(slot=st.sampled_from(SLOTS), value=HOSTILE)
def test_only_migrantcare_errors_come_out(
    slot: tuple[str, int | str], value: object, hostile_tally: list[int]
) -> None:
    name, where = slot
    call, args, kwargs = ROWS[name]
    args, kwargs = list(args), dict(kwargs)
    if isinstance(where, int):
        args[where] = value
    else:
        kwargs[where] = value
    hostile_tally[0] += 1
    message = ""
    try:
        call(*args, **kwargs)
    except MigrantCareError as exc:
        message = str(exc)
    assert len(message) <= 2_100


@pytest.mark.parametrize("text", ["\ud800", "a\x00b", 5, None])
def test_labels_and_descriptions_built_in_python_refuse_unstorable_text(text: object) -> None:
    with pytest.raises(MigrantCareError):
        State("a", text, "A")  # type: ignore[arg-type]
    with pytest.raises(MigrantCareError):
        State("a", "A", text)  # type: ignore[arg-type]
    with pytest.raises(MigrantCareError):
        Transition("go", ("a",), "b", label_en=text)  # type: ignore[arg-type]
    with pytest.raises(MigrantCareError):
        WorkflowSpec(
            name="x",
            version=1,
            initial="a",
            states=(State("a", "A", "A"),),
            transitions=(),
            description=text,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("data_json", ["{", "[1]", "1", "[" * 100_000, "null"])
def test_an_event_whose_recorded_data_is_not_an_object_says_so(data_json: str) -> None:
    event = attrs.evolve(CASE.events[0], data_json=data_json)
    with pytest.raises(IntegrityError, match="not a JSON object"):
        event.data  # noqa: B018
