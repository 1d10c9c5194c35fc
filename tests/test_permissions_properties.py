"""Properties of who may act: refusals are exact, and personal data stays with the role."""

from __future__ import annotations

import json
import pathlib

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import (
    Actor,
    Case,
    Offices,
    Person,
    audit_trail,
    complaint_permissions,
    complaint_workflow,
)
from migrantcare.exceptions import MigrantCareError, PermissionDeniedError
from migrantcare.offices._permissions import CASE_ACTIONS, AccessControl, redacted_dict

from .strategies import (
    NOTES,
    OFFICE_PARENTS,
    actor_ids,
    actor_offices,
    case_offices,
    persons,
    role_sets,
    satisfying_data,
)

WF = complaint_workflow(sla=False)
PERMISSIONS = complaint_permissions()
STEPS = [(s.id, t) for s in WF.states for t in WF.allowed_events(s.id)]
ACCESS = AccessControl(PERMISSIONS, STEPS, dict(OFFICE_PARENTS))
PARENTS = dict(OFFICE_PARENTS)
actors = st.builds(Actor, actor_ids, role_sets, actor_offices)
actions = st.one_of(st.sampled_from(STEPS), st.sampled_from(CASE_ACTIONS))
T0 = pendulum.datetime(2026, 3, 19, 9, tz="Asia/Jakarta")
OPENER = Actor("cc-01", roles={"call_centre"}, office="kp2mi-hq")


def _above(office: str) -> set[str]:
    found, current = set(), PARENTS.get(office)
    while current is not None:
        found.add(current)
        current = PARENTS.get(current)
    return found


def _may(actor: Actor, action: str, office: str) -> list[str]:
    """The roles under which the definition lets ``actor`` act, computed from the rule."""
    rule = PERMISSIONS.rule(action)
    in_scope = actor.office is not None and (
        actor.office == office or actor.office in _above(office)
    )
    return [
        r
        for r in rule.roles
        if r in actor.roles and (in_scope or r in PERMISSIONS.cross_office or r in rule.any_office)
    ]


@given(actors, actions, case_offices)
def test_a_role_is_granted_only_when_held_allowed_and_in_scope(
    actor: Actor, action: tuple[str, str] | str, office: str
) -> None:
    if isinstance(action, tuple):
        rule = ACCESS.for_step(*action)
        name = action[1]
    else:
        rule = ACCESS.for_action(action)
        name = action
    assert rule is not None
    possible = _may(actor, name, office)
    role = ACCESS.role_for(rule, actor, office)
    assert role == (possible[0] if possible else None)
    if role is None:
        with pytest.raises(PermissionDeniedError) as info:
            ACCESS.authorise(rule, actor, office, case_id="PGD-1")
        assert (info.value.actor, info.value.action) == (actor.id, name)
        assert info.value.allowed == PERMISSIONS.rule(name).roles
    else:
        assert ACCESS.authorise(rule, actor, office) == role


# A bound workflow knows the office hierarchy (the P4MI post under its BP3MI).
ROOT = pathlib.Path(__file__).parent.parent
OFFICES = Offices.from_file(ROOT / "examples" / "offices.toml")
BOUND = WF.bind(OFFICES)
BOUND_OFFICES = ("bp3mi-ntb", "p4mi-lombok-timur", "bp3mi-ntt")
BOUND_PARENTS = {o.id: o.parent for o in OFFICES}
bound_actors = st.builds(
    Actor,
    actor_ids,
    role_sets,
    st.sampled_from([None, "call-centre", *BOUND_OFFICES]),
)


def _bound_may(actor: Actor, action: str, office: str) -> list[str]:
    rule = PERMISSIONS.rule(action)
    home = actor.office
    in_scope = home is not None and (home == office or BOUND_PARENTS.get(office) == home)
    return [
        r
        for r in rule.roles
        if r in actor.roles and (in_scope or r in PERMISSIONS.cross_office or r in rule.any_office)
    ]


@given(
    st.sampled_from(BOUND_OFFICES),
    st.lists(st.tuples(bound_actors, st.sampled_from(sorted({t for _, t in STEPS}))), max_size=12),
)
def test_random_actors_never_change_a_case_they_may_not_change(
    office: str, attempts: list[tuple[Actor, str]]
) -> None:
    case = BOUND.open(
        "PGD-1", at=T0, by=OPENER, office=office, category="unpaid_wages", channel="sms"
    )
    for k, (actor, trigger) in enumerate(attempts):
        before = case
        snapshot = case.to_dict()
        at = T0.add(minutes=k + 1)
        defined = trigger in BOUND.allowed_events(case)
        refused: PermissionDeniedError | None = None
        try:
            case = BOUND.fire(
                case, trigger, at=at, by=actor, data=satisfying_data(trigger), note="n"
            )
        except PermissionDeniedError as exc:
            refused = exc
        except MigrantCareError:
            assert case is before
            continue
        if refused is not None:
            assert defined
            assert not _bound_may(actor, trigger, case.office)
            assert refused.actor == actor.id
            assert case is before
            assert case.to_dict() == snapshot  # nothing changed, nothing recorded
            continue
        # it fired: the definition allows it, and the trail says who, as what, from where
        roles = _bound_may(actor, trigger, before.office)
        assert roles
        last = case.events[-1]
        assert (last.by, last.role, last.office) == (actor.id, roles[0], actor.office)
        assert len(case.events) == len(before.events) + 1
    case.verify()
    trail = audit_trail(case)
    assert [e.role for e in trail[1:]] == [e.role for e in case.events[1:]]


@given(persons, st.one_of(st.none(), persons), NOTES, st.booleans())
def test_a_redacted_record_carries_no_personal_data(
    complainant: Person, worker: Person | None, note: str | None, name_in_note: bool
) -> None:
    if name_in_note:
        note = f"{note or ''} called {complainant.name}"
    case = WF.open(
        "PGD-1",
        at=T0,
        by=OPENER,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="sms",
        complainant=complainant,
        worker=worker,
        note=note,
    )
    officer = Actor("o-1", roles={"officer"}, office="bp3mi-ntt")
    case = WF.fire(case, "start_verification", at=T0.add(hours=1), by=officer, note=note)
    text = json.dumps(redacted_dict(case), ensure_ascii=False)
    for person in (complainant, worker):
        if person is None:
            continue
        for value in (person.name, person.passport_number, person.nik, person.phone):
            if value is not None:
                assert value not in text
    # the full record does carry them: the check above can fail
    assert complainant.name in json.dumps(case.to_dict(), ensure_ascii=False)


def _outputs_for(case: Case, actor: Actor) -> list[str]:
    """Everything the library produces about a case for an actor without asking for data."""
    texts = [
        json.dumps(BOUND.export(case, by=actor), ensure_ascii=False),
        json.dumps(BOUND.export(case), ensure_ascii=False),
        json.dumps([e.to_dict() for e in audit_trail(case)], ensure_ascii=False),
        repr(case),
        repr(case.complainant),
        *(repr(e) for e in case.events),
    ]
    try:
        BOUND.personal_data(case, by=actor)
    except PermissionDeniedError as exc:
        texts.append(str(exc))
    return texts


@given(persons, bound_actors, st.sampled_from(BOUND_OFFICES), NOTES)
def test_personal_data_never_reaches_an_actor_without_the_role(
    complainant: Person, actor: Actor, office: str, note: str | None
) -> None:
    case = BOUND.open(
        "PGD-1",
        at=T0,
        by=OPENER,
        office=office,
        category="unpaid_wages",
        channel="sms",
        complainant=complainant,
        note=f"{note} {complainant.name}",
    )
    may = bool(_bound_may(actor, "read_personal_data", office))
    assert BOUND.may(case, "read_personal_data", by=actor) is may
    if may:
        assert BOUND.personal_data(case, by=actor).complainant == complainant
        assert BOUND.export(case, by=actor) == case.to_dict()
        return
    for text in _outputs_for(case, actor):
        for value in (complainant.name, complainant.passport_number, complainant.phone):
            if value is not None:
                assert value not in text
    with pytest.raises(PermissionDeniedError):
        BOUND.personal_data(case, by=actor)
