"""Who may act: the permission model, its compiled check, and the standard matrices."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import pathlib
import pickle
import sys
import textwrap

import attrs
import jsonschema
import pendulum
import pytest

from migrantcare import (
    CROSS_OFFICE_ROLES,
    STANDARD_ROLES,
    Actor,
    Case,
    Offices,
    Permissions,
    Person,
    Rule,
    Workflow,
    complaint_permissions,
    complaint_spec,
    complaint_workflow,
    dump_workflow,
    loads_workflow,
    outreach_permissions,
    outreach_spec,
    outreach_workflow,
    repatriation_permissions,
    repatriation_spec,
    repatriation_workflow,
    workflow_schema,
)
from migrantcare.exceptions import (
    DefinitionFileError,
    InvalidArgumentError,
    MigrantCareError,
    PermissionDeniedError,
    WorkflowDefinitionError,
    WrongTypeError,
)
from migrantcare.offices._permissions import (
    CASE_ACTIONS,
    OUR_DEFAULT,
    AccessControl,
    ancestors_of,
    matrix_markdown,
)

from .strategies import satisfying_data

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_Actor = Actor  # positional: id, roles, office


# A BP3MI with a P4MI post under it, and an unrelated BP3MI.
PARENTS = {"bp3mi-ntt": None, "p4mi-kupang": "bp3mi-ntt", "bp3mi-jatim": None}
STANDARD = [
    (complaint_workflow, complaint_permissions),
    (repatriation_workflow, repatriation_permissions),
    (outreach_workflow, outreach_permissions),
]


def compiled(workflow: Workflow, permissions: Permissions) -> AccessControl:
    steps = [(s.id, t) for s in workflow.states for t in workflow.allowed_events(s.id)]
    return AccessControl(permissions, steps, PARENTS)


# --------------------------------------------------------------------------- the model


def test_rule_refuses_a_bare_string_and_duplicates() -> None:
    with pytest.raises(WrongTypeError, match="not the str 'officer'"):
        Rule("officer")
    with pytest.raises(InvalidArgumentError, match="twice"):
        Rule(("officer", "officer"))
    with pytest.raises(InvalidArgumentError, match="not a valid id"):
        Rule(("Officer",))


def test_any_office_must_be_among_the_roles() -> None:
    with pytest.raises(InvalidArgumentError, match="not allowed by the rule: call_centre"):
        Rule(("officer",), any_office=("call_centre",))


def test_with_roles_replaces_one_rule_and_keeps_the_rest() -> None:
    base = complaint_permissions()
    changed = base.with_roles("close", "head_of_office", source="office SOP 12/2026")
    assert changed.rule("close").roles == ("head_of_office",)
    assert changed.rule("close").source == "office SOP 12/2026"
    assert changed.rule("verify") == base.rule("verify")
    assert base.rule("close").roles == ("officer", "head_of_office")  # frozen, unchanged
    assert changed.actions == base.actions  # replaced in place, order kept


def test_new_actions_get_a_rule_and_unknown_ones_fall_back_to_the_default() -> None:
    p = complaint_permissions()
    assert p.rule("sanction_recommended") == p.default
    p2 = p.with_roles("sanction_recommended", "head_of_office")
    assert p2.actions[-1] == "sanction_recommended"
    with pytest.raises(InvalidArgumentError, match="no permission rule for action 'x'"):
        Permissions().rule("x")
    # the default covers triggers, never the case-wide actions
    with pytest.raises(InvalidArgumentError, match="'erase'"):
        Permissions(default=Rule(("officer",))).rule("erase")


def test_cross_office_scope_is_granted_and_withdrawn() -> None:
    p = complaint_permissions()
    assert p.cross_office == CROSS_OFFICE_ROLES
    wider = p.with_cross_office("regional_coordinator")
    assert "regional_coordinator" in wider.cross_office
    assert "crisis_centre" not in wider.without_cross_office("crisis_centre").cross_office


def test_problems_name_unknown_actions_and_missing_rules() -> None:
    p = Permissions({"verfy": Rule(("officer",))})
    problems = p.problems(["verify"], "workflow 'x' v1")
    assert "permission rule for 'verfy', which is neither a trigger" in problems[0]
    assert "no permission rule for verify, open, transfer" in problems[1]
    for make_wf, make_perms in STANDARD:
        wf = make_wf()
        triggers = {t for s in wf.states for t in wf.allowed_events(s.id)}
        assert make_perms().problems(triggers, wf.name) == []


def test_permissions_are_frozen_hashable_and_picklable() -> None:
    p = complaint_permissions()
    assert hash(p) == hash(complaint_permissions())
    assert pickle.loads(pickle.dumps(p)) == p
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        p.default = None  # type: ignore[misc]


def test_office_ancestors_are_transitive_and_cycles_refused() -> None:
    up = ancestors_of({"a": None, "b": "a", "c": "b"})
    assert up == {"a": frozenset(), "b": frozenset({"a"}), "c": frozenset({"a", "b"})}
    with pytest.raises(InvalidArgumentError, match="cycle"):
        ancestors_of({"a": "b", "b": "a"})


def test_a_definition_without_rules_does_not_compile() -> None:
    with pytest.raises(WorkflowDefinitionError, match="'verify'"):
        AccessControl(Permissions(), [("verification", "verify")])


# --------------------------------------------------------------------------- the matrices


def _expected(permissions: Permissions, action: str, role: str, relation: str) -> bool:
    """What the definition says, read from the rule directly (not from the compiled check)."""
    rule = permissions.rule(action)
    if role not in rule.roles:
        return False
    if relation in ("own", "parent"):  # own office, or the office above the case's post
        return True
    return role in permissions.cross_office or role in rule.any_office


RELATIONS = {
    # actor's office, case's office
    "own": ("bp3mi-ntt", "bp3mi-ntt"),
    "parent": ("bp3mi-ntt", "p4mi-kupang"),
    "child": ("p4mi-kupang", "bp3mi-ntt"),
    "other": ("bp3mi-jatim", "bp3mi-ntt"),
    "none": (None, "bp3mi-ntt"),
}


@pytest.mark.parametrize(("make_wf", "make_perms"), STANDARD, ids=lambda f: f.__name__)
def test_every_step_role_and_office_is_allowed_exactly_where_the_definition_says(
    make_wf, make_perms
) -> None:
    wf, permissions = make_wf(), make_perms()
    access = compiled(wf, permissions)
    checked = 0
    for state in wf.states:
        for trigger in wf.allowed_events(state.id):
            rule = access.for_step(state.id, trigger)
            assert rule is not None
            for role, (relation, (home, office)) in itertools.product(
                STANDARD_ROLES, RELATIONS.items()
            ):
                actor = _Actor(f"a-{role}", {role}, home)
                allowed = _expected(permissions, trigger, role, relation)
                assert (access.role_for(rule, actor, office) == role) is allowed, (
                    state.id,
                    trigger,
                    role,
                    relation,
                )
                if not allowed:
                    with pytest.raises(PermissionDeniedError):
                        access.authorise(rule, actor, office)
                checked += 1
    assert checked >= 5 * len(STANDARD_ROLES)


@pytest.mark.parametrize(("make_wf", "make_perms"), STANDARD, ids=lambda f: f.__name__)
def test_case_wide_actions_follow_the_definition(make_wf, make_perms) -> None:
    permissions = make_perms()
    access = compiled(make_wf(), permissions)
    for action, role, (relation, (home, office)) in itertools.product(
        CASE_ACTIONS, STANDARD_ROLES, RELATIONS.items()
    ):
        actor = _Actor("a", {role}, home)
        got = access.role_for(access.for_action(action), actor, office)
        assert (got == role) is _expected(permissions, action, role, relation), (
            action,
            role,
            relation,
        )


# Hand-written cells: what an auditor would check first, independent of the helper above.
@pytest.mark.parametrize(
    ("action", "roles", "home", "office", "allowed"),
    [
        ("close", {"officer"}, "bp3mi-ntt", "bp3mi-ntt", True),
        ("close", {"officer"}, "bp3mi-jatim", "bp3mi-ntt", False),  # another BP3MI
        ("close", {"officer"}, "bp3mi-ntt", "p4mi-kupang", True),  # a post under it
        ("close", {"officer"}, "p4mi-kupang", "bp3mi-ntt", False),  # the office above
        ("close", {"call_centre"}, "bp3mi-ntt", "bp3mi-ntt", False),
        ("close", {"ministry_hq"}, None, "bp3mi-ntt", False),
        ("reopen", {"officer"}, "bp3mi-ntt", "bp3mi-ntt", False),
        ("reopen", {"ministry_hq"}, "kp2mi-hq", "bp3mi-ntt", True),
        ("escalate", {"system"}, None, "bp3mi-ntt", True),
        ("escalate", {"call_centre"}, "kp2mi-hq", "bp3mi-ntt", True),
        ("verify", {"crisis_centre"}, "kp2mi-hq", "bp3mi-ntt", False),
        ("open", {"call_centre"}, "kp2mi-hq", "bp3mi-ntt", True),
        ("open", {"system"}, None, "bp3mi-ntt", False),
        ("read_personal_data", {"ministry_hq"}, "kp2mi-hq", "bp3mi-ntt", False),
        ("read_personal_data", {"officer"}, "bp3mi-jatim", "bp3mi-ntt", False),
        ("read_personal_data", {"officer"}, "bp3mi-ntt", "bp3mi-ntt", True),
        ("erase", {"officer"}, "bp3mi-ntt", "bp3mi-ntt", False),
        ("migrate", {"system"}, None, "bp3mi-ntt", True),
    ],
)
def test_key_cells_of_the_complaint_matrix(
    action: str, roles: set[str], home: str | None, office: str, allowed: bool
) -> None:
    wf = complaint_workflow()
    access = compiled(wf, complaint_permissions())
    if action in CASE_ACTIONS:
        rule = access.for_action(action)
    else:
        state = next(s.id for s in wf.states if action in wf.allowed_events(s.id))
        rule = access.for_step(state, action)
    assert rule is not None
    assert (access.role_for(rule, _Actor("a", roles, home), office) is not None) is allowed


def test_the_recorded_role_is_the_first_of_the_rule_that_covers_the_case() -> None:
    access = compiled(complaint_workflow(), complaint_permissions())
    reopen = access.for_step("closed", "reopen")
    assert reopen is not None
    both = _Actor("kepala", {"ministry_hq", "head_of_office"}, "bp3mi-ntt")
    assert access.role_for(reopen, both, "bp3mi-ntt") == "head_of_office"
    # outside its own office the head role does not reach; the ministry role does
    assert access.role_for(reopen, both, "bp3mi-jatim") == "ministry_hq"


def test_a_refusal_names_actor_action_and_roles_but_no_personal_data() -> None:
    access = compiled(complaint_workflow(), complaint_permissions())
    rule = access.for_step("in_handling", "close")
    assert rule is not None
    actor = _Actor("cc-01", {"call_centre"}, "kp2mi-hq")
    with pytest.raises(PermissionDeniedError) as info:
        access.authorise(rule, actor, "bp3mi-ntt", case_id="PGD-2026-000123")
    error = info.value
    assert isinstance(error, MigrantCareError)
    assert isinstance(error, PermissionError)
    assert str(error) == (
        "actor 'cc-01' (roles: call_centre; office: 'kp2mi-hq') may not fire 'close' on case "
        "'PGD-2026-000123' of office 'bp3mi-ntt'; allowed: officer, head_of_office of office "
        "'bp3mi-ntt' or an office above it"
    )
    assert (error.actor, error.action, error.allowed, error.office) == (
        "cc-01",
        "close",
        ("officer", "head_of_office"),
        "bp3mi-ntt",
    )


def test_a_refusal_lists_the_roles_allowed_anywhere() -> None:
    access = compiled(complaint_workflow(), complaint_permissions())
    actor = _Actor("o-9", {"officer"}, "bp3mi-jatim")
    with pytest.raises(
        PermissionDeniedError,
        match="head_of_office of office 'bp3mi-ntt' or an "
        "office above it; ministry_hq of any office",
    ):
        access.authorise(access.for_action("erase"), actor, "bp3mi-ntt")


def test_nobody_may_act_when_a_rule_names_no_role() -> None:
    p = complaint_permissions().with_roles("close")
    access = compiled(complaint_workflow(), p)
    rule = access.for_step("in_handling", "close")
    assert rule is not None
    for role in STANDARD_ROLES:
        with pytest.raises(PermissionDeniedError, match="allowed: nobody"):
            access.authorise(rule, _Actor("a", {role}, "bp3mi-ntt"), "bp3mi-ntt")


def test_the_matrix_lists_every_trigger_and_case_action() -> None:
    wf = complaint_workflow()
    triggers = [(t.trigger, t.label_en) for t in wf.spec.transitions]
    text = matrix_markdown(complaint_permissions(), triggers)
    lines = text.splitlines()
    assert lines[0].startswith("| action | `call_centre` | `officer` | `head_of_office` |")
    assert len(lines) == 2 + len(triggers) + len(CASE_ACTIONS)
    close = next(line for line in lines if line.startswith("| `close`"))
    assert close.split(" | ")[1:7] == ["", "✓", "✓", "", "", ""]
    reopen = next(line for line in lines if line.startswith("| `reopen`"))
    assert "✓ any office" in reopen
    assert OUR_DEFAULT not in text  # shortened to "our default"
    assert "our default: the handling officer closes" in close


# --------------------------------------------------------------------------- on the definition


def test_standard_definitions_carry_their_matrices() -> None:
    for make_wf, make_perms in STANDARD:
        assert make_wf().permissions == make_perms()


def test_spec_with_roles_changes_one_rule_and_refuses_unknown_actions() -> None:
    spec = complaint_spec(sla=False).with_roles("close", "head_of_office", source="SOP 12/2026")
    wf = spec.build()
    assert wf.permissions is not None
    assert wf.permissions.rule("close").roles == ("head_of_office",)
    assert "closed: close (head_of_office)" in wf.mermaid()
    with pytest.raises(WorkflowDefinitionError, match="no trigger 'clsoe'"):
        complaint_spec().with_roles("clsoe", "officer")
    assert spec.with_roles("erase", "ministry_hq").build().permissions.rule("erase").roles == (  # type: ignore[union-attr]
        "ministry_hq",
    )


def test_cross_office_scope_is_granted_on_the_spec() -> None:
    spec = complaint_spec(sla=False).with_cross_office("regional_coordinator")
    assert spec.permissions is not None
    assert "regional_coordinator" in spec.permissions.cross_office
    spec = spec.without_cross_office("crisis_centre")
    assert spec.permissions is not None
    assert "crisis_centre" not in spec.permissions.cross_office


def test_a_build_refuses_rules_for_unknown_triggers_and_missing_rules() -> None:
    spec = complaint_spec(sla=False)
    assert spec.permissions is not None
    typo = spec.with_permissions(spec.permissions.with_roles("verfy", "officer"))
    with pytest.raises(WorkflowDefinitionError, match="'verfy', which is neither a trigger"):
        typo.build()
    bare = spec.with_permissions(Permissions({"verify": Rule(("officer",))}))
    with pytest.raises(WorkflowDefinitionError, match="no permission rule for"):
        bare.build()


def test_sla_escalation_must_be_allowed_to_the_system_role() -> None:
    spec = complaint_spec().with_roles("escalate", "officer", "crisis_centre")
    with pytest.raises(WorkflowDefinitionError, match=r"escalates with 'escalate'.*'system'"):
        spec.build()
    assert complaint_spec(sla=False).with_roles("escalate", "officer").build()


def test_a_definition_without_permissions_draws_and_lists_nothing_about_roles() -> None:
    wf = complaint_spec(sla=False).with_permissions(None).build()
    assert wf.permissions is None
    text = wf.mermaid()
    assert "    verification --> in_handling: verify\n" in text
    assert "note" not in text
    with pytest.raises(InvalidArgumentError, match="has no permissions"):
        wf.permission_matrix()
    with pytest.raises(WrongTypeError, match="expected Permissions"):
        complaint_spec().with_permissions({"verify": ("officer",)})  # type: ignore[arg-type]


def test_the_diagram_notes_case_wide_actions_and_internal_events() -> None:
    text = complaint_workflow().mermaid()
    assert (
        "    [*] --> registered: open (officer, head_of_office, call_centre*, crisis_centre*)"
        in (text)
    )
    note = text[text.index("    note right of registered") :]
    assert "escalate (officer, head_of_office, call_centre*, crisis_centre*, system*)" in note
    assert "erase (head_of_office, ministry_hq*)" in note
    assert note.rstrip().endswith("end note")
    assert ";" not in note  # ends a statement in Mermaid


def test_the_matrix_is_available_in_indonesian() -> None:
    text = complaint_workflow().permission_matrix("id")
    assert "| `verify` Verifikasi selesai |" in text
    assert "| `erase` Hapus data pribadi |" in text


# --------------------------------------------------------------------------- on a workflow

T0 = pendulum.datetime(2026, 3, 19, 9, tz="Asia/Jakarta")


CC = Actor("cc-01", {"call_centre"}, "kp2mi-hq")
OFFICER = Actor("o-7", {"officer"}, "bp3mi-ntt")


def _case(office: str = "bp3mi-ntt") -> Case:
    wf = complaint_workflow(sla=False)
    case = wf.open(
        "PGD-2026-000123",
        at=T0,
        by=CC,
        office=office,
        category="unpaid_wages",
        channel="sms",
        complainant=Person("Siti Aminah", passport_number="C1234567", phone="+6281234"),
        note="Siti Aminah called from Hong Kong",
    )
    return wf.fire(
        case, "start_verification", at=T0.add(hours=1), by=Actor("o-7", {"officer"}, office)
    )


def test_allowed_events_for_an_actor_are_those_it_may_fire() -> None:
    wf, case = complaint_workflow(sla=False), _case()
    assert wf.allowed_events(case) == ("request_documents", "verify", "close", "escalate")
    officer = _Actor("o-7", {"officer"}, "bp3mi-ntt")
    assert wf.allowed_events(case, by=officer) == wf.allowed_events(case)
    assert wf.allowed_events(case, by=_Actor("cc-01", {"call_centre"}, "kp2mi-hq")) == ("escalate",)
    assert wf.allowed_events(case, by=_Actor("o-9", {"officer"}, "bp3mi-jatim")) == ()
    with pytest.raises(WrongTypeError, match="needs a Case"):
        wf.allowed_events("verification", by=officer)


def test_may_answers_for_triggers_and_case_wide_actions() -> None:
    wf, case = complaint_workflow(sla=False), _case()
    head = _Actor("kepala-ntt", {"head_of_office"}, "bp3mi-ntt")
    assert wf.may(case, "verify", by=head)
    assert wf.may(case, "transfer", by=head)
    assert not wf.may(case, "migrate", by=head)
    with pytest.raises(InvalidArgumentError, match="neither an event from state 'verification'"):
        wf.may(case, "reopen", by=head)
    with pytest.raises(WrongTypeError, match="by must be an Actor"):
        wf.may(case, "verify", by="kepala-ntt")  # type: ignore[arg-type]


def test_personal_data_goes_through_the_role() -> None:
    wf, case = complaint_workflow(sla=False), _case()
    officer = _Actor("o-7", {"officer"}, "bp3mi-ntt")
    data = wf.personal_data(case, by=officer)
    assert data.complainant is case.complainant
    assert "Siti" not in repr(data)  # the value stays redacted in repr
    hq = _Actor("hq-3", {"ministry_hq"}, "kp2mi-hq")
    with pytest.raises(PermissionDeniedError) as info:
        wf.personal_data(case, by=hq)
    assert str(info.value).startswith(
        "actor 'hq-3' (roles: ministry_hq; office: 'kp2mi-hq') may not read the personal data "
        "of case 'PGD-2026-000123' of office 'bp3mi-ntt'; allowed: officer, head_of_office"
    )
    assert "Siti" not in str(info.value)


def test_export_leaves_personal_data_out_unless_the_actor_may_read_it() -> None:
    wf, case = complaint_workflow(sla=False), _case()
    record = wf.export(case)
    assert record["complainant"] is None
    assert record["personal_data"] == "withheld"
    assert all(e["note"] is None for e in record["events"])
    assert [e["hash"] for e in record["events"]] == [e.hash for e in case.events]
    assert "Siti" not in json.dumps(record)
    assert "C1234567" not in json.dumps(record)
    assert wf.export(case, by=_Actor("hq-3", {"ministry_hq"}, "kp2mi-hq")) == record
    full = wf.export(case, by=_Actor("o-7", {"officer"}, "bp3mi-ntt"))
    assert full == case.to_dict()
    assert Case.from_dict(full) == case


def test_a_definition_without_permissions_restricts_nobody() -> None:
    wf = complaint_spec(sla=False).with_permissions(None).build()
    case = _case()
    nobody = _Actor("x", set(), None)
    assert wf.may(case, "verify", by=nobody)
    assert wf.personal_data(case, by=nobody).complainant is case.complainant
    assert wf.allowed_events(case, by=nobody) == wf.allowed_events(case)


# --------------------------------------------------------------------------- through fire

OFFICES = Offices.from_file(pathlib.Path(__file__).parent.parent / "examples" / "offices.toml")
BOUND_RELATIONS = {
    # actor's office, case's office (p4mi-lombok-timur is a post under bp3mi-ntb)
    "own": ("bp3mi-ntb", "bp3mi-ntb"),
    "parent": ("bp3mi-ntb", "p4mi-lombok-timur"),
    "child": ("p4mi-lombok-timur", "bp3mi-ntb"),
    "other": ("bp3mi-ntt", "bp3mi-ntb"),
    "none": (None, "bp3mi-ntb"),
}
BOUND_STANDARD = [
    (lambda: complaint_workflow(sla=False), complaint_permissions),
    (repatriation_workflow, repatriation_permissions),
    (outreach_workflow, outreach_permissions),
]
ANYONE = Actor("setup", {"system"})


def _cases_in_every_state(wf: Workflow, office: str) -> dict[str, Case]:
    """A genuine case in each state, walked there by an unchecked copy of the workflow."""
    free = wf._unchecked()
    first = free.open(
        "C-1",
        at=T0,
        by=ANYONE,
        office=office,
        category=wf.spec.categories.codes[0],
        channel=wf.spec.channels.codes[0],
    )
    found, frontier = {first.state: first}, [first]
    while frontier:
        case = frontier.pop(0)
        for trigger in free.allowed_events(case):
            if free.destination(case.state, trigger) in found:
                continue
            nxt = free.fire(
                case,
                trigger,
                at=case.events[-1].at + dt.timedelta(minutes=1),
                by=ANYONE,
                note="n",
                data=satisfying_data(trigger),
            )
            found[nxt.state] = nxt
            frontier.append(nxt)
    assert set(found) == {s.id for s in wf.states}
    return found


@pytest.mark.parametrize(("make_wf", "make_perms"), BOUND_STANDARD, ids=["complaint", "rep", "out"])
def test_fire_allows_exactly_where_the_definition_says_and_refusals_change_nothing(
    make_wf, make_perms
) -> None:
    wf, permissions = make_wf().bind(OFFICES), make_perms()
    cases = {office: _cases_in_every_state(wf, office) for _, office in BOUND_RELATIONS.values()}
    fired = refused = 0
    for state in wf.states:
        for trigger in wf.allowed_events(state.id):
            for role, (relation, (home, office)) in itertools.product(
                STANDARD_ROLES, BOUND_RELATIONS.items()
            ):
                case = cases[office][state.id]
                snapshot = case.to_dict()
                actor = Actor(f"a-{role}", {role}, home)
                at = case.events[-1].at + dt.timedelta(minutes=5)
                data = satisfying_data(trigger)
                if _expected(permissions, trigger, role, relation):
                    after = wf.fire(case, trigger, at=at, by=actor, note="n", data=data)
                    last = after.events[-1]
                    assert (last.name, last.by, last.role, last.office) == (
                        trigger,
                        actor.id,
                        role,
                        home,
                    )
                    fired += 1
                else:
                    with pytest.raises(PermissionDeniedError) as info:
                        wf.fire(case, trigger, at=at, by=actor, note="n", data=data)
                    assert info.value.action == trigger
                    assert info.value.actor == actor.id
                    assert case.to_dict() == snapshot
                    refused += 1
    # every step x 6 roles x 5 office relations, on both sides of the line
    assert fired + refused == 6 * 5 * sum(len(wf.allowed_events(s.id)) for s in wf.states)
    assert fired > 0
    assert refused > fired


def _attempt(action: str, wf: Workflow, v2: Workflow, actor: Actor, office: str) -> Case:
    case = _cases_in_every_state(wf, office)[wf.spec.initial]
    at = T0.add(hours=1)
    if action == "open":
        category, channel = wf.spec.categories.codes[0], wf.spec.channels.codes[0]
        return wf.open("C-2", at=T0, by=actor, office=office, category=category, channel=channel)
    if action == "transfer":
        return wf.transfer(case, to="bp3mi-ntt", at=at, by=actor)
    return v2.migrate(case, at=at, by=actor)


@pytest.mark.parametrize(("make_wf", "make_perms"), BOUND_STANDARD, ids=["complaint", "rep", "out"])
def test_open_transfer_and_migrate_follow_the_definition(make_wf, make_perms) -> None:
    wf, permissions = make_wf().bind(OFFICES), make_perms()
    v2 = wf.spec.derive(version=2).build().bind(OFFICES)
    for action, role, (relation, (home, office)) in itertools.product(
        ("open", "transfer", "migrate"), STANDARD_ROLES, BOUND_RELATIONS.items()
    ):
        actor = Actor(f"a-{role}", {role}, home)
        if _expected(permissions, action, role, relation):
            assert _attempt(action, wf, v2, actor, office).events[-1].role == role
        else:
            with pytest.raises(PermissionDeniedError, match=f"may not {action}"):
                _attempt(action, wf, v2, actor, office)


# --------------------------------------------------------------------------- in documents

SCHEMA = jsonschema.Draft202012Validator(workflow_schema())


@pytest.mark.parametrize("fmt", ["toml", "json"])
@pytest.mark.parametrize(
    "make", [repatriation_spec, outreach_spec, lambda: complaint_spec(sla=False)]
)
def test_permissions_round_trip_through_documents(make, fmt: str) -> None:
    spec = make().with_roles("erase", "head_of_office", source="SOP 12/2026", confirmed=True)
    spec = spec.with_cross_office("regional_coordinator")
    text = dump_workflow(spec, fmt)
    back = loads_workflow(text, format=fmt)
    assert back.permissions == spec.permissions
    doc = json.loads(text) if fmt == "json" else tomllib.loads(text)
    SCHEMA.validate(doc)
    assert doc["permissions"]["rules"][0]["action"] == "open"


def test_a_document_without_permissions_has_none() -> None:
    spec = outreach_spec().with_permissions(None)
    text = dump_workflow(spec)
    assert "[permissions]" not in text
    assert loads_workflow(text).permissions is None


def test_an_extension_changes_the_rules_it_names_and_keeps_the_rest() -> None:
    text = textwrap.dedent(
        """
        extends = "outreach"
        version = 2

        [permissions]
        cross_office = ["ministry_hq", "system", "regional_coordinator"]

        [[permissions.rules]]
        action = "cancel"
        roles = ["head_of_office", "regional_coordinator"]
        source = "Desa Migran Emas SOP 2/2026"
        confirmed = true
        """
    )
    spec = loads_workflow(text, file="ntb.toml")
    base = outreach_permissions()
    assert spec.permissions is not None
    assert spec.permissions.rule("cancel") == Rule(
        ("head_of_office", "regional_coordinator"),
        source="Desa Migran Emas SOP 2/2026",
        confirmed=True,
    )
    assert spec.permissions.rule("evaluate") == base.rule("evaluate")
    assert spec.permissions.cross_office == {"ministry_hq", "system", "regional_coordinator"}
    assert "cancelled: cancel (head_of_office, regional_coordinator*)" in spec.build().mermaid()


@pytest.mark.parametrize(
    ("permissions", "message"),
    [
        ('rules = [{ action = "x", roles = "officer" }]', r"permissions.rules\[0\].roles: must be"),
        ('rules = [{ roles = ["officer"] }]', r"permissions.rules\[0\].action: is required"),
        (
            'rules = [{ action = "close", roles = ["officer"], colour = 1 }]',
            r"permissions.rules\[0\].colour: unknown key",
        ),
        (
            'rules = [{ action = "close", roles = ["Officer"] }]',
            r"permissions.rules\[0\]: role 'Officer' is not a valid id",
        ),
        (
            'rules = [{ action = "close", roles = ["officer"], any_office = ["call_centre"] }]',
            r"permissions.rules\[0\]: any_office names roles that are not allowed",
        ),
        (
            'rules = [{ action = "close", roles = [] }, { action = "close", roles = [] }]',
            r"permissions.rules\[1\].action: 'close' has a rule already",
        ),
        ("colour = 1", r"permissions.colour: unknown key"),
    ],
)
def test_document_errors_name_the_key_path(permissions: str, message: str) -> None:
    text = f'extends = "complaint"\n\n[permissions]\n{permissions}\n'
    with pytest.raises(DefinitionFileError, match=message):
        loads_workflow(text, file="ntb.toml")


def test_a_document_rule_for_an_unknown_trigger_fails_the_build() -> None:
    text = 'extends = "outreach"\n\n[[permissions.rules]]\naction = "evaluat"\nroles = []\n'
    spec = loads_workflow(text)
    with pytest.raises(WorkflowDefinitionError, match="'evaluat', which is neither a trigger"):
        spec.build()


def test_erasing_personal_data_follows_the_erase_rule() -> None:
    wf, case = complaint_workflow(sla=False), _case()
    at = case.events[-1].at + dt.timedelta(hours=1)
    with pytest.raises(PermissionDeniedError, match="may not erase case 'PGD-2026-000123'"):
        wf.erase_personal_data(case, at=at, by=OFFICER)
    head = Actor("kepala-ntt", {"head_of_office"}, "bp3mi-ntt")
    erased = wf.erase_personal_data(case, at=at, by=head)
    last = erased.events[-1]
    assert (last.kind, last.by, last.role, last.office) == (
        "erased",
        "kepala-ntt",
        "head_of_office",
        "bp3mi-ntt",
    )
    assert erased.complainant is not None
    assert erased.complainant.name != "Siti Aminah"
    erased.verify()
    hq = Actor("hq-3", {"ministry_hq"}, "kp2mi-hq")
    assert wf.erase_personal_data(case, at=at, by=hq).events[-1].role == "ministry_hq"


def test_the_copy_replays_use_is_made_once_per_binding_and_checks_nothing() -> None:
    wf = complaint_workflow(sla=False)
    plain = wf._unchecked()
    assert plain is wf._unchecked()  # every replay asks: one copy
    assert plain is not wf
    assert plain._unchecked() is plain
    # it lets anyone open: the recorded actor is not judged again
    assert plain.open(
        "C-1", at=T0, by=Actor("nobody", {"outsider"}), office="bp3mi-ntt",
        category=wf.spec.categories.codes[0], channel=wf.spec.channels.codes[0],
    ).version == 1  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        wf.open(
            "C-1", at=T0, by=Actor("nobody", {"outsider"}), office="bp3mi-ntt",
            category=wf.spec.categories.codes[0], channel=wf.spec.channels.codes[0],
        )  # fmt: skip
    # a binding gets its own copy, bound to the same registry, not the unbound one's
    bound = wf.bind(
        Offices.from_file(pathlib.Path(__file__).parent.parent / "examples" / "offices.toml")
    )
    assert bound._unchecked() is not plain
    assert bound._unchecked().offices is bound.offices
    assert wf._unchecked() is plain
