"""Properties of who may act: refusals are exact, and personal data stays with the role."""

from __future__ import annotations

import json

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import Person, complaint_permissions, complaint_workflow
from migrantcare._permissions import CASE_ACTIONS, AccessControl, redacted_dict
from migrantcare.exceptions import PermissionDeniedError

from .strategies import (
    NOTES,
    OFFICE_PARENTS,
    actor_ids,
    actor_offices,
    case_offices,
    persons,
    role_sets,
)


@attrs.frozen
class _Actor:
    id: str
    roles: frozenset[str]
    office: str | None


WF = complaint_workflow(sla=False)
PERMISSIONS = complaint_permissions()
STEPS = [(s.id, t) for s in WF.states for t in WF.allowed_events(s.id)]
ACCESS = AccessControl(PERMISSIONS, STEPS, dict(OFFICE_PARENTS))
PARENTS = dict(OFFICE_PARENTS)
actors = st.builds(_Actor, actor_ids, role_sets, actor_offices)
actions = st.one_of(st.sampled_from(STEPS), st.sampled_from(CASE_ACTIONS))


def _above(office: str) -> set[str]:
    found, current = set(), PARENTS.get(office)
    while current is not None:
        found.add(current)
        current = PARENTS.get(current)
    return found


@given(actors, actions, case_offices)
def test_a_role_is_granted_only_when_held_allowed_and_in_scope(
    actor: _Actor, action: tuple[str, str] | str, office: str
) -> None:
    if isinstance(action, tuple):
        rule = ACCESS.for_step(*action)
        name = action[1]
    else:
        rule = ACCESS.for_action(action)
        name = action
    assert rule is not None
    definition = PERMISSIONS.rule(name)
    in_scope = actor.office is not None and (
        actor.office == office or actor.office in _above(office)
    )
    possible = [
        r
        for r in definition.roles
        if r in actor.roles
        and (in_scope or r in PERMISSIONS.cross_office or r in definition.any_office)
    ]
    role = ACCESS.role_for(rule, actor, office)
    assert role == (possible[0] if possible else None)
    if role is None:
        with pytest.raises(PermissionDeniedError) as info:
            ACCESS.authorise(rule, actor, office, case_id="PGD-1")
        assert (info.value.actor, info.value.action) == (actor.id, name)
        assert info.value.allowed == definition.roles
    else:
        assert ACCESS.authorise(rule, actor, office) == role


T0 = pendulum.datetime(2026, 3, 19, 9, tz="Asia/Jakarta")


@given(persons, st.one_of(st.none(), persons), NOTES, st.booleans())
def test_a_redacted_record_carries_no_personal_data(
    complainant: Person, worker: Person | None, note: str | None, name_in_note: bool
) -> None:
    if name_in_note:
        note = f"{note or ''} called {complainant.name}"
    case = WF.open(
        "PGD-1",
        at=T0,
        by="cc-01",
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="sms",
        complainant=complainant,
        worker=worker,
        note=note,
    )
    case = WF.fire(case, "start_verification", at=T0.add(hours=1), by="o-1", note=note)
    text = json.dumps(redacted_dict(case), ensure_ascii=False)
    for person in (complainant, worker):
        if person is None:
            continue
        for value in (person.name, person.passport_number, person.nik, person.phone):
            if value is not None:
                assert value not in text
    # the full record does carry them: the check above can fail
    assert complainant.name in json.dumps(case.to_dict(), ensure_ascii=False)


@given(persons, actors, case_offices, NOTES)
def test_personal_data_reaches_only_actors_with_the_role(
    complainant: Person, actor: _Actor, office: str, note: str | None
) -> None:
    case = WF.open(
        "PGD-1",
        at=T0,
        by="cc-01",
        office=office,
        category="unpaid_wages",
        channel="sms",
        complainant=complainant,
        note=f"{note} {complainant.name}",
    )
    rule = PERMISSIONS.rule("read_personal_data")
    in_scope = actor.office is not None and (
        actor.office == office or actor.office in _above(office)
    )
    may = any(
        r in actor.roles and (in_scope or r in PERMISSIONS.cross_office or r in rule.any_office)
        for r in rule.roles
    )
    exported = json.dumps(WF.export(case, by=actor), ensure_ascii=False)
    assert WF.may(case, "read_personal_data", by=actor) is may
    if may:
        assert WF.personal_data(case, by=actor).complainant == complainant
        assert WF.export(case, by=actor) == case.to_dict()
    else:
        assert complainant.name not in exported
        with pytest.raises(PermissionDeniedError) as info:
            WF.personal_data(case, by=actor)
        assert complainant.name not in str(info.value)
        assert complainant.name not in repr(info.value)
    # without an actor (reports, third parties) never
    assert complainant.name not in json.dumps(WF.export(case), ensure_ascii=False)
