"""The audit filters: an Actor is accepted where every other ``by=`` takes one, wrong types
are refused (a filter that can match nothing must not answer with nothing), and only a
MigrantCareError comes out, whatever the filters and the cases."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import Actor, audit_trail, complaint_workflow
from migrantcare.exceptions import MigrantCareError, WrongTypeError
from tests.strategies import HOSTILE_INSTANTS, HOSTILE_TEXT, WRONG_TYPES

WF = complaint_workflow(sla=False)
T0 = dt.datetime(2026, 3, 2, 2, tzinfo=dt.timezone.utc)
OFFICER = Actor("u-1042", roles={"officer"}, office="bp3mi-ntb")
HEAD = Actor("u-0007", roles={"officer", "head_of_office"}, office="bp3mi-ntb")
_opened = WF.open(
    "PGD-1",
    at=T0,
    by=Actor("cc-7", roles={"call_centre"}),
    office="bp3mi-ntb",
    category="unpaid_wages",
    channel="whatsapp",
)
_started = WF.fire(_opened, "start_verification", at=T0 + dt.timedelta(hours=1), by=OFFICER)
CASE = WF.fire(_started, "request_documents", at=T0 + dt.timedelta(hours=2), by=HEAD)


def test_by_takes_an_actor_as_every_other_by_does() -> None:
    assert [e.action for e in audit_trail(CASE, by=OFFICER)] == ["start_verification"]
    assert audit_trail(CASE, by=OFFICER) == audit_trail(CASE, by="u-1042")
    assert [e.role for e in audit_trail([CASE], by=HEAD)] == ["officer"]


@pytest.mark.parametrize(
    "filters",
    [
        {"by": 5},
        {"by": ["u-1042"]},
        {"by": b"u-1042"},
        {"role": ["officer"]},
        {"role": {"officer"}},
        {"office": 5},
        {"office": ("bp3mi-ntb",)},
    ],
)
def test_wrong_filter_types_are_refused(filters: dict[str, object]) -> None:
    with pytest.raises(WrongTypeError, match="audit_trail: "):
        audit_trail(CASE, **filters)  # type: ignore[arg-type]


@pytest.mark.parametrize("cases", [5, None, "PGD-1", b"x", [CASE, "PGD-1"], {"PGD-1": CASE}])
def test_what_is_not_cases_is_refused(cases: object) -> None:
    with pytest.raises(WrongTypeError):
        audit_trail(cases)  # type: ignore[arg-type]


FILTERS = st.sampled_from(["by", "role", "office", "since", "until"])


@given(
    name=FILTERS,
    value=st.one_of(HOSTILE_TEXT, HOSTILE_INSTANTS, WRONG_TYPES, st.just(OFFICER)),
    cases=st.sampled_from([CASE, [CASE], (CASE, _opened)]),
)
def test_any_filter_answers_or_refuses_with_a_migrantcare_error(
    name: str, value: object, cases: object, hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    with contextlib.suppress(MigrantCareError):
        entries = audit_trail(cases, **{name: value})  # type: ignore[arg-type]
        # what answers is a subset of the unfiltered trail
        assert set(entries) <= set(audit_trail(CASE)) | set(audit_trail(_opened))
