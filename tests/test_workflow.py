from __future__ import annotations

import datetime as dt
import threading

import pendulum
import pytest

from migrantcare import (
    ANY,
    CATEGORIES,
    Attempt,
    Case,
    Guard,
    InMemoryCaseStore,
    Person,
    State,
    Transition,
    Workflow,
    WorkflowSpec,
    complaint_spec,
    complaint_workflow,
    outreach_workflow,
    repatriation_workflow,
    replay,
)
from migrantcare.exceptions import (
    CallbackError,
    CaseNotFoundError,
    GuardRejectedError,
    IntegrityError,
    InvalidArgumentError,
    InvalidTransitionError,
    NaiveDatetimeError,
    StaleCaseError,
    UnknownTermError,
    WorkflowDefinitionError,
    WorkflowMismatchError,
    WrongTypeError,
)
from tests.actors import actor

T0 = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")


def later(hours: float) -> pendulum.DateTime:
    return T0.add(seconds=int(hours * 3600))


@pytest.fixture(scope="module")
def complaint() -> Workflow:
    return complaint_workflow(sla=False)


def open_complaint(wf: Workflow, **kw: object) -> Case:
    args: dict[str, object] = {
        "at": T0,
        "by": actor("cc-01", "call_centre"),
        "office": "bp3mi-ntt",
        "category": "unpaid_wages",
        "channel": "whatsapp",
        "complainant": Person("Siti Aminah", kind="pmi", passport_number="C1234567"),
        "attributes": {"destination": "HK", "placement": "procedural"},
    }
    args.update(kw)
    return wf.open("PGD-2026-000123", **args)  # type: ignore[arg-type]


def walk(wf: Workflow, case: Case, *triggers: str) -> Case:
    for trigger in triggers:
        data = {"reason": "unreachable"} if trigger == "close" else None
        note = "new evidence" if trigger in ("reopen", "cancel") else None
        at = case.events[-1].at + dt.timedelta(hours=1)
        case = wf.fire(
            case, trigger, at=at, by=actor("officer-7", office=case.office), data=data, note=note
        )
    return case


class TestComplaintPaths:
    def test_open(self, complaint: Workflow) -> None:
        case = open_complaint(complaint)
        assert case.state == "registered"
        assert case.version == 1
        assert case.workflow == "complaint"
        assert case.workflow_version == 1
        assert case.opened_at == T0
        assert case.opened_at.tzinfo is dt.timezone.utc
        assert case.events[0].kind == "opened"
        assert case.attributes == {"destination": "HK", "placement": "procedural"}

    def test_to_resolution_through_mediation(self, complaint: Workflow) -> None:
        case = walk(
            complaint,
            open_complaint(complaint),
            "start_verification",
            "verify",
            "invite_clarification",
            "second_clarification",
            "mediate",
            "resolve",
        )
        assert case.state == "resolved"
        assert [e.dest for e in case.events] == [
            "registered",
            "verification",
            "in_handling",
            "clarification_1",
            "clarification_2",
            "mediation",
            "resolved",
        ]
        assert case.version == 7
        assert complaint.state(case.state).terminal

    def test_documents_loop_and_waiting_states(self, complaint: Workflow) -> None:
        case = walk(
            complaint,
            open_complaint(complaint),
            "start_verification",
            "request_documents",
            "documents_received",
            "verify",
            "request_clarification",
        )
        assert case.state == "awaiting_complainant"
        assert complaint.state("awaiting_complainant").waiting
        assert complaint.state("awaiting_documents").waiting
        case = walk(complaint, case, "complainant_replied")
        assert case.state == "in_handling"

    def test_referral_then_resolution(self, complaint: Workflow) -> None:
        case = walk(
            complaint, open_complaint(complaint), "start_verification", "verify", "refer", "resolve"
        )
        assert case.state == "resolved"

    def test_close_needs_a_pasal_30_reason(self, complaint: Workflow) -> None:
        case = walk(complaint, open_complaint(complaint), "start_verification")
        with pytest.raises(GuardRejectedError) as info:
            complaint.fire(case, "close", at=later(2), by=actor("o"), data={"reason": "bored"})
        err = info.value
        assert err.guard == "reason_given"
        assert err.trigger == "close"
        assert err.state == "verification"
        assert "documents_incomplete" in str(err)
        closed = complaint.fire(
            case, "close", at=later(2), by=actor("o"), data={"reason": "unreachable"}
        )
        assert closed.state == "closed"
        assert closed.events[-1].data == {"reason": "unreachable"}

    def test_reopen_starts_a_new_cycle(self, complaint: Workflow) -> None:
        case = walk(complaint, open_complaint(complaint), "start_verification", "verify", "resolve")
        with pytest.raises(GuardRejectedError, match="note"):
            complaint.fire(case, "reopen", at=later(5), by=actor("o"))
        reopened = complaint.fire(
            case, "reopen", at=later(5), by=actor("o"), note="employer did not pay"
        )
        assert reopened.state == "in_handling"

    def test_escalation_is_internal(self, complaint: Workflow) -> None:
        case = walk(complaint, open_complaint(complaint), "start_verification", "escalate")
        assert case.state == "verification"
        assert case.events[-1].name == "escalate"
        assert case.events[-1].source == case.events[-1].dest == "verification"
        assert "escalate" not in complaint.allowed_events("resolved")

    def test_allowed_events(self, complaint: Workflow) -> None:
        case = open_complaint(complaint)
        assert complaint.allowed_events(case) == ("start_verification", "close", "escalate")
        assert complaint.allowed_events("closed") == ("reopen",)
        with pytest.raises(InvalidArgumentError, match="no state 'nowhere'"):
            complaint.allowed_events("nowhere")


class TestOtherWorkflows:
    def test_repatriation_alive(self) -> None:
        wf = repatriation_workflow()
        case = wf.open(
            "PLG-1", at=T0, by=actor("cc"), office="bp3mi-jatim", category="sick", channel="embassy"
        )
        case = walk(
            wf, case, "start_verification", "arrange_travel", "arrive", "hand_over", "close"
        )
        assert case.state == "closed"

    def test_repatriation_of_remains(self) -> None:
        wf = repatriation_workflow()
        case = wf.open(
            "PLG-2",
            at=T0,
            by=actor("cc"),
            office="bp3mi-ntt",
            category="deceased",
            channel="embassy",
        )
        case = walk(wf, case, "start_verification", "confirm_deceased", "arrive", "hand_over")
        assert [e.dest for e in case.events][2:] == ["remains_arranged", "arrived", "handed_over"]
        with pytest.raises(UnknownTermError, match="unpaid_wages"):
            wf.open(
                "PLG-3", at=T0, by=actor("cc"), office="x", category="unpaid_wages", channel="sms"
            )

    def test_outreach(self) -> None:
        wf = outreach_workflow()
        case = wf.open(
            "SOS-1",
            at=T0,
            by=actor("bp3mi-ntb", office="bp3mi-ntb"),
            office="bp3mi-ntb",
            category="desa_migran_emas",
            channel="in_person",
            attributes={"village": "Desa Contoh", "regency": "Lombok Timur"},
        )
        case = walk(wf, case, "coordinate", "hold", "report", "evaluate")
        assert case.state == "evaluated"
        cancelled = walk(
            wf,
            wf.open(
                "SOS-2",
                at=T0,
                by=actor("x", office="x"),
                office="x",
                category="job_fair",
                channel="in_person",
            ),
            "cancel",
        )
        assert cancelled.state == "cancelled"


class TestAtomicityAndErrors:
    def test_not_allowed_names_event_state_and_options(self, complaint: Workflow) -> None:
        case = open_complaint(complaint)
        with pytest.raises(InvalidTransitionError) as info:
            complaint.fire(case, "resolve", at=later(1), by=actor("o"))
        assert info.value.allowed == ("start_verification", "close", "escalate")
        assert "'resolve' is not allowed from state 'registered'" in str(info.value)
        with pytest.raises(InvalidTransitionError, match="does not exist in workflow"):
            complaint.fire(case, "teleport", at=later(1), by=actor("o"))
        assert case.version == 1
        assert case.state == "registered"

    def test_raising_callback_changes_nothing(self, complaint: Workflow) -> None:
        def explode(attempt: Attempt) -> None:
            raise RuntimeError("database down")

        wf = complaint_spec(sla=False).with_callback("verify", explode).build()
        case = walk(wf, open_complaint(wf), "start_verification")
        before = case.to_dict()
        with pytest.raises(CallbackError, match="'verify' from state 'verification'") as info:
            wf.fire(case, "verify", at=later(3), by=actor("o"))
        assert isinstance(info.value.__cause__, RuntimeError)
        assert case.to_dict() == before

    def test_raising_guard_refuses(self, complaint: Workflow) -> None:
        def broken(attempt: Attempt) -> bool:
            raise KeyError("x")

        wf = (
            complaint_spec(sla=False).with_guard("verify", Guard("broken", broken, "never")).build()
        )
        case = walk(wf, open_complaint(wf), "start_verification")
        with pytest.raises(GuardRejectedError, match="its check raised KeyError"):
            wf.fire(case, "verify", at=later(3), by=actor("o"))

    def test_callback_output_is_recorded(self) -> None:
        def stamp(attempt: Attempt) -> dict[str, object]:
            return {"checked_by_rule": "perban-6-2024", "from": attempt.source}

        wf = complaint_spec(sla=False).with_callback("verify", stamp).build()
        case = walk(wf, open_complaint(wf), "start_verification", "verify")
        assert case.events[-1].data == {"checked_by_rule": "perban-6-2024", "from": "verification"}
        assert replay(case, wf) == case

    def test_bad_inputs(self, complaint: Workflow) -> None:
        case = open_complaint(complaint)
        with pytest.raises(NaiveDatetimeError):
            complaint.fire(
                case, "start_verification", at=dt.datetime(2026, 3, 20, 9), by=actor("o")
            )
        with pytest.raises(WrongTypeError, match="by must be an Actor"):
            complaint.fire(case, "start_verification", at=later(1), by="o")
        with pytest.raises(InvalidArgumentError, match="JSON-compatible"):
            complaint.fire(
                case, "start_verification", at=later(1), by=actor("o"), data={"x": object()}
            )
        with pytest.raises(UnknownTermError, match="unknown category 'weather'"):
            open_complaint(complaint, category="weather")
        with pytest.raises(UnknownTermError, match="unknown channel"):
            open_complaint(complaint, channel="pigeon")
        with pytest.raises(UnknownTermError, match="complainant type"):
            open_complaint(complaint, complainant=Person("X", kind="alien"))
        with pytest.raises(WrongTypeError):
            complaint.fire("PGD-1", "verify", at=later(1), by=actor("o"))  # type: ignore[arg-type]

    def test_stale_version(self, complaint: Workflow) -> None:
        case = open_complaint(complaint)
        newer = complaint.fire(
            case, "start_verification", at=later(1), by=actor("a"), expected_version=1
        )
        with pytest.raises(StaleCaseError) as info:
            complaint.fire(newer, "verify", at=later(2), by=actor("b"), expected_version=1)
        assert (info.value.expected, info.value.actual) == (1, 2)

    def test_wrong_workflow(self, complaint: Workflow) -> None:
        case = open_complaint(complaint)
        with pytest.raises(WorkflowMismatchError, match="migrate it first"):
            outreach_workflow().fire(case, "coordinate", at=later(1), by=actor("o"))


class TestPersonalData:
    def test_never_in_repr_or_errors(self, complaint: Workflow) -> None:
        person = Person(
            "Siti Aminah", passport_number="C1234567", nik="3201234567890001", phone="+85291234567"
        )
        case = open_complaint(complaint, complainant=person)
        texts = [repr(person), str(person), repr(case), *(repr(e) for e in case.events)]
        try:
            complaint.fire(case, "close", at=later(1), by=actor("o"))
        except GuardRejectedError as exc:
            texts.append(str(exc))
        for secret in ("Siti", "C1234567", "3201234567890001", "91234567"):
            assert all(secret not in t for t in texts), secret

    def test_personal_data_stays_off_the_audit_trail(self, complaint: Workflow) -> None:
        case = open_complaint(complaint)
        for event in case.events:
            assert "Siti" not in event.data_json
            assert "C1234567" not in event.data_json

    def test_bad_nik_is_refused_without_echo(self) -> None:
        with pytest.raises(InvalidArgumentError, match="16 digits; got 5 characters") as info:
            Person("X", nik="12345")
        assert "12345" not in str(info.value)


class TestExtension:
    def test_add_state_transition_guard_and_labels(self) -> None:
        legal_aid = State("legal_aid", "Bantuan hukum", "Legal aid")
        spec = (
            complaint_spec(sla=False)
            .derive(name="complaint_ntt", version=1)
            .with_states(legal_aid)
            .with_transitions(
                Transition("refer_legal_aid", ("mediation",), "legal_aid"),
                Transition("legal_aid_done", ("legal_aid",), "resolved"),
            )
            .with_labels("mediation", label_id="Mediasi (BP3MI NTT)", label_en="Mediation (NTT)")
            .without_transition("refer", source="mediation")
            .with_guard("resolve", Guard.require_note())
            .with_vocabularies(
                categories=CATEGORIES.extended(
                    {"fishing_crew": ("Awak kapal perikanan", "Fishing-vessel crew")}
                )
            )
        )
        wf = spec.build()
        case = open_complaint(wf, category="fishing_crew")
        case = walk(wf, case, "start_verification", "verify", "invite_clarification", "mediate")
        assert "refer" not in wf.allowed_events(case)
        assert "refer" in wf.allowed_events("in_handling")
        case = walk(wf, case, "refer_legal_aid")
        assert case.state == "legal_aid"
        # "*" sources include states added later: escalate and close work from legal_aid
        assert {"close", "escalate"} <= set(wf.allowed_events(case))
        assert walk(wf, case, "legal_aid_done").state == "resolved"
        handling = walk(wf, open_complaint(wf), "start_verification", "verify")
        with pytest.raises(GuardRejectedError, match="note_given"):
            wf.fire(handling, "resolve", at=later(9), by=actor("o"))
        assert wf.state("mediation").label("id") == "Mediasi (BP3MI NTT)"
        # ours is untouched
        std = complaint_workflow(sla=False)
        assert "legal_aid" not in {s.id for s in std.states}
        assert std.state("mediation").label("id") == "Mediasi"
        assert "refer" in std.allowed_events("mediation")

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                lambda s: s.with_transitions(Transition("x", ("nowhere",), "closed")),
                "unknown state 'nowhere'",
            ),
            (
                lambda s: s.with_transitions(Transition("x", ("registered",), "limbo")),
                "unknown state 'limbo'",
            ),
            (
                lambda s: s.with_states(State("orphan", "Yatim", "Orphan", terminal=True)),
                "cannot be reached",
            ),
            (
                lambda s: s.with_transitions(Transition("verify", ("verification",), "closed")),
                "defined twice",
            ),
            (
                lambda s: s.with_transitions(Transition("open", ("registered",), "closed")),
                "reserved",
            ),
            (lambda s: s.derive(version=0), "version must be an int >= 1"),
        ],
    )
    def test_validation(self, change: object, message: str) -> None:
        with pytest.raises(WorkflowDefinitionError, match=message):
            change(complaint_spec(sla=False)).build()  # type: ignore[operator]

    def test_dead_end(self) -> None:
        spec = WorkflowSpec(
            name="tiny",
            version=1,
            initial="start",
            states=(State("start", "Mulai", "Start"), State("stuck", "Macet", "Stuck")),
            transitions=(Transition("go", ("start",), "stuck"),),
        )
        with pytest.raises(WorkflowDefinitionError, match="'stuck' is a dead end"):
            spec.build()
        fixed = spec.with_states(State("stuck", "Macet", "Stuck", terminal=True)).build()
        assert fixed.allowed_events("stuck") == ()

    def test_bad_ids(self) -> None:
        with pytest.raises(InvalidArgumentError, match="snake_case"):
            State("In Handling", "x", "y")
        with pytest.raises(WorkflowDefinitionError, match="no transition 'nope'"):
            complaint_spec(sla=False).without_transition("nope")
        with pytest.raises(WorkflowDefinitionError, match="no state 'nope'"):
            complaint_spec(sla=False).with_labels("nope", label_id="a", label_en="b")

    def test_any_expands_to_non_terminal_states(self) -> None:
        wf = complaint_workflow(sla=False)
        close = next(t for t in complaint_spec(sla=False).transitions if t.trigger == "close")
        assert close.sources == (ANY,)
        for state in wf.states:
            assert ("close" in wf.allowed_events(state.id)) is (not state.terminal)


class TestMigration:
    def test_move_in_flight_case_to_v2(self) -> None:
        v1 = complaint_workflow(sla=False)
        v2 = (
            complaint_spec(sla=False)
            .derive(version=2)
            .with_states(State("triage", "Triase", "Triage"))
            .with_transitions(Transition("triage_done", ("triage",), "verification"))
            .with_transitions(Transition("to_triage", ("registered",), "triage"))
            .build()
        )
        case = walk(v1, open_complaint(v1), "start_verification")
        moved = v2.migrate(
            case,
            state_map={"verification": "triage"},
            at=later(3),
            by=actor("admin", "ministry_hq"),
            note="v2 rollout",
        )
        assert (moved.workflow_version, moved.state) == (2, "triage")
        assert moved.events[-1].kind == "migrated"
        assert moved.events[-1].data["from_version"] == 1
        moved = walk(v2, moved, "triage_done", "verify")
        moved.verify()
        assert replay(moved, [v1, v2]) == moved
        with pytest.raises(IntegrityError, match="no workflow"):
            replay(moved, v1)

    def test_unmapped_state_is_refused(self) -> None:
        v2 = (
            complaint_spec(sla=False)
            .derive(version=2)
            .without_transition("second_clarification")
            .without_transition("mediate")
        )
        # remove clarification_2 entirely from v2
        v2 = type(v2)(
            name=v2.name,
            version=v2.version,
            initial=v2.initial,
            states=tuple(s for s in v2.states if s.id not in ("clarification_2", "mediation")),
            transitions=tuple(
                t.__class__(
                    t.trigger,
                    tuple(x for x in t.sources if x not in ("clarification_2", "mediation")),
                    t.dest,
                    t.guards,
                    t.callbacks,
                )
                for t in v2.transitions
            ),
        ).build()
        v1 = complaint_workflow(sla=False)
        case = walk(
            v1,
            open_complaint(v1),
            "start_verification",
            "verify",
            "invite_clarification",
            "second_clarification",
        )
        with pytest.raises(InvalidArgumentError, match="add it to state_map"):
            v2.migrate(case, at=later(9), by=actor("admin", "ministry_hq"))
        moved = v2.migrate(
            case,
            state_map={"clarification_2": "clarification_1"},
            at=later(9),
            by=actor("admin", "ministry_hq"),
        )
        assert moved.state == "clarification_1"


class TestConcurrency:
    def test_two_threads_one_winner_nothing_lost(self, complaint: Workflow) -> None:
        store = InMemoryCaseStore()
        base = walk(complaint, open_complaint(complaint), "start_verification", "verify")
        store.save(base, expected_version=None)
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def officer(name: str, trigger: str) -> None:
            case = store.get(base.id)
            barrier.wait()
            data = {"reason": "referred"} if trigger == "close" else None
            new = complaint.fire(case, trigger, at=later(4), by=actor(name), data=data)
            try:
                store.save(new, expected_version=case.version)
                outcomes[name] = "won"
            except StaleCaseError:
                outcomes[name] = "stale"
                # the loser reloads and re-applies: nothing is lost
                fresh = store.get(base.id)
                retried = complaint.fire(fresh, "escalate", at=later(5), by=actor(name))
                store.save(retried, expected_version=fresh.version)

        threads = [
            threading.Thread(target=officer, args=("officer-a", "escalate")),
            threading.Thread(target=officer, args=("officer-b", "escalate")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["stale", "won"]
        final = store.get(base.id)
        assert final.version == base.version + 2
        assert {e.by for e in final.events[-2:]} == {"officer-a", "officer-b"}
        final.verify()

    def test_store_errors(self) -> None:
        store = InMemoryCaseStore()
        with pytest.raises(CaseNotFoundError):
            store.get("nope")
        with pytest.raises(LookupError):
            store.get("nope")


def test_mermaid_lists_every_transition(complaint: Workflow) -> None:
    text = complaint.mermaid(lang="id")
    assert text.startswith("stateDiagram-v2\n")
    assert 'state "Dalam penanganan" as in_handling' in text
    assert "    [*] --> registered" in text
    assert "    verification --> in_handling: verify (officer, head_of_office)" in text
    assert "    resolved --> [*]" in text
    assert "%% internal event escalate: from registered, verification" in text
    edges = [line for line in text.splitlines() if "-->" in line and "[*]" not in line]
    expected = [
        (state.id, trigger)
        for state in complaint.states
        for trigger in complaint.allowed_events(state.id)
        if trigger != "escalate"
    ]
    assert sorted((e.split()[0], e.split(": ")[1].split(" (")[0]) for e in edges) == sorted(
        expected
    )


def test_events_are_recorded_in_time_order(complaint: Workflow) -> None:
    case = walk(complaint, open_complaint(complaint), "start_verification")
    last = case.events[-1].at
    with pytest.raises(InvalidArgumentError, match="before its last event"):
        complaint.fire(case, "verify", at=last - dt.timedelta(seconds=6), by=actor("o"))
    same_instant = complaint.fire(case, "verify", at=last, by=actor("o"))
    assert same_instant.state == "in_handling"
    # up to CLOCK_SKEW (5 s) before: clock skew between servers, recorded at the last instant
    skewed = complaint.fire(case, "verify", at=last - dt.timedelta(seconds=1), by=actor("o"))
    assert skewed.events[-1].at == last


class TestRemovingTriggers:
    """Removing a trigger removes what hangs on it: its notices and its permission rule."""

    def test_without_transition_drops_the_permission_rule_and_builds(self) -> None:
        spec = complaint_spec().without_transition("reopen")
        assert spec.permissions is not None
        assert "reopen" not in spec.permissions.actions
        wf = spec.build()
        assert all(t.trigger != "reopen" for t in wf.spec.transitions)

    def test_removing_one_source_keeps_the_rule(self) -> None:
        narrowed = complaint_spec().without_transition("escalate", source="verification").build()
        assert narrowed.spec.permissions is not None
        assert "escalate" in narrowed.spec.permissions.actions

    def test_a_definition_document_removes_a_trigger_and_builds(self) -> None:
        from migrantcare import loads_workflow  # noqa: PLC0415

        doc = 'format = "migrantcare.workflow/1"\nextends = "complaint"\n'
        wf = loads_workflow(doc + 'remove_transitions = ["reopen"]\n', format="toml").build()
        assert wf.spec.permissions is not None
        assert "reopen" not in wf.spec.permissions.actions


class TestMalformedRecords:
    """Replay and audit of hand-edited records: an IntegrityError, never a JSON error."""

    def test_replay_of_garbled_opening_attributes_is_an_integrity_error(
        self, complaint: Workflow
    ) -> None:
        import json  # noqa: PLC0415

        doc = open_complaint(complaint).to_dict()
        opening = doc["events"][0]["data"]
        opening["attributes"] = "{"
        case = Case.from_dict(doc)
        with pytest.raises(IntegrityError, match="not JSON"):
            replay(case, complaint)
        opening["attributes"] = json.dumps([1, 2])
        with pytest.raises(IntegrityError, match="must be a JSON object"):
            replay(Case.from_dict(doc), complaint)

    @pytest.mark.parametrize("garbage", ["{", "[1]", "{" * 100_000, '"x"'])
    def test_replay_of_garbled_event_data_is_an_integrity_error(
        self, complaint: Workflow, garbage: str
    ) -> None:
        import attrs  # noqa: PLC0415

        case = walk(complaint, open_complaint(complaint), "start_verification")
        garbled = attrs.evolve(case.events[1], data_json=garbage)
        edited = attrs.evolve(case, events=(case.events[0], garbled))
        with pytest.raises(IntegrityError):
            replay(edited, complaint)

    def test_audit_of_a_garbled_transfer_is_an_integrity_error(self, complaint: Workflow) -> None:
        import attrs  # noqa: PLC0415

        from migrantcare import audit_trail  # noqa: PLC0415

        case = open_complaint(complaint)
        case = complaint.transfer(
            case, to="bp3mi-ntb", at=later(1), by=actor("head", "head_of_office")
        )
        garbled = attrs.evolve(case.events[-1], data_json="{not json")
        edited = attrs.evolve(case, events=(*case.events[:-1], garbled))
        with pytest.raises(IntegrityError, match="not JSON"):
            audit_trail(edited)


def test_a_callback_error_says_what_a_callback_may_do() -> None:
    def explode(attempt: Attempt) -> None:
        raise RuntimeError("database down")

    def wrong(attempt: Attempt) -> object:
        return 42

    for callback in (explode, wrong):
        wf = complaint_spec(sla=False).with_callback("start_verification", callback).build()
        case = open_complaint(wf)
        with pytest.raises(CallbackError) as info:
            wf.fire(case, "start_verification", at=later(1), by=actor("o"))
        message = str(info.value)
        assert "Allowed: a callback returns None or a mapping of JSON-compatible data" in message
        assert "raising a MigrantCareError" in message


class TestAttributeLimits:
    """Attributes are held to the documented limits, and errors name the caller's keys."""

    def test_a_value_of_100_000_characters_is_accepted_and_round_trips(
        self, complaint: Workflow
    ) -> None:
        for value in ("x" * 100_000, "\n" * 100_000, "é" * 100_000):
            case = open_complaint(complaint, attributes={"a": value})
            assert case.attributes == {"a": value}
            case = walk(complaint, case, "start_verification")
            loaded = Case.from_dict(case.to_dict())
            assert loaded == case
            assert replay(loaded, complaint) == case
            loaded.verify(workflows=complaint)

    def test_one_character_more_is_refused_naming_the_key(self, complaint: Workflow) -> None:
        with pytest.raises(InvalidArgumentError, match=r"attributes\['a'\] is 100001 characters"):
            open_complaint(complaint, attributes={"a": "x" * 100_001})

    def test_attributes_too_large_together_are_refused_naming_attributes(
        self, complaint: Workflow
    ) -> None:
        many = {f"k{i}": "x" * 100_000 for i in range(11)}
        with pytest.raises(InvalidArgumentError, match=r"^attributes are 1100090 characters"):
            open_complaint(complaint, attributes=many)

    def test_stored_data_is_still_held_to_the_text_limit(self) -> None:
        from migrantcare._validate import check_json  # noqa: PLC0415

        # only the canonical JSON text of a valid object may exceed it (an opening's
        # attributes); any other long text is refused
        for text in ("x" * 100_001, "{" + " " * 100_001 + "}", '{"a": ' + '"x"' * 40_000 + "}"):
            with pytest.raises(InvalidArgumentError, match="at most 100000"):
                check_json({"t": text}, "data")
        check_json({"t": '{"a":"' + "x" * 100_000 + '"}'}, "data")


class TestActorsWithSeveralRoles:
    """An actor holding two roles acts in the one the rule prefers, on every event."""

    def test_the_rule_s_preferred_role_is_recorded(self, complaint: Workflow) -> None:
        head = actor("u-7", "officer", "head_of_office")
        case = walk(complaint, open_complaint(complaint), "start_verification")
        for by in (head, actor("u-7", "officer", "head_of_office")):  # equal, not the same
            fired = complaint.fire(case, "request_documents", at=later(2), by=by)
            assert fired.events[-1].role == "officer"
            assert fired.events[-1].by == "u-7"
        reopened = walk(complaint, case, "verify", "close")
        reopened = complaint.fire(reopened, "reopen", at=later(9), by=head, note="new")
        assert reopened.events[-1].role == "head_of_office"

    def test_equal_actors_record_identical_events(self, complaint: Workflow) -> None:
        case = walk(complaint, open_complaint(complaint), "start_verification")
        one = complaint.fire(case, "request_documents", at=later(2), by=actor("u-7"))
        two = complaint.fire(case, "request_documents", at=later(2), by=actor("u-7"))
        assert one.events[-1] == two.events[-1]
        assert one.head_hash == two.head_hash
        # an actor that differs only in its roles is another actor
        other = complaint.fire(
            case, "request_documents", at=later(2), by=actor("u-7", "officer", "call_centre")
        )
        assert other.events[-1].role == "officer"
        assert replay(other, complaint) == other
