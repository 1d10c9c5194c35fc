"""Notices declared on definitions: inheritance, per-trigger changes, build-time check, replay."""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib

import pendulum
import pytest

from migrantcare import (
    CaseMatch,
    Messages,
    NoticeSpec,
    Offices,
    Person,
    State,
    Transition,
    WorkingCalendar,
    complaint_spec,
    complaint_workflow,
    notices,
    outreach_spec,
    receipt_of,
    repatriation_spec,
)
from migrantcare.cli._cli import main as cli
from migrantcare.exceptions import InvalidArgumentError, WorkflowDefinitionError, WrongTypeError
from tests.actors import actor

M = Messages.default()
CAL = WorkingCalendar.for_province("Nusa Tenggara Timur")
T0 = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")


def _story(wf, *, complainant: bool = True):  # type: ignore[no-untyped-def]
    """A complaint through most of its life; every case along the way."""
    case = wf.open(
        "PGD-1",
        at=T0,
        by=actor("cc"),
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Ibu Siti Aminah") if complainant else None,
        calendar=CAL,
    )
    t = pendulum.datetime(2026, 3, 25, 9, tz="Asia/Makassar")
    steps = [
        ("start_verification", {}),
        ("request_documents", {"documents": ["paspor", "visa"]}),
        ("documents_received", {}),
        ("verify", {}),
        ("request_clarification", {}),
        ("complainant_replied", {}),
        ("escalate", {}),
        ("resolve", {"amount_idr": 18_500_000}),
        ("reopen", {}),
        ("close", {"reason": "unreachable"}),
    ]
    cases = [case]
    for i, (trigger, data) in enumerate(steps):
        note = "new facts" if trigger == "reopen" else None
        case = wf.fire(
            case, trigger, at=t.add(days=i), by=actor("o"), data=data, note=note, calendar=CAL
        )
        cases.append(case)
    case = wf.advance(case, at=t.add(days=40), calendar=CAL)
    cases.append(case)
    return cases


def _all_notices(wf, case):  # type: ignore[no-untyped-def]
    return [
        (n.key, n.recipient, n.event_seq, n.render(M, lang, tz="Asia/Makassar"))
        for e in case.events
        for n in notices(wf, case, e, office_name="BP3MI NTT", calendar=CAL)
        for lang in ("id", "en")
    ]


def test_every_standard_notice_is_declared_and_renders() -> None:
    wf = complaint_workflow()
    case = _story(wf)[-1]
    keys = {k for k, *_ in _all_notices(wf, case)}
    assert keys >= {
        "complaint.registered.ack",
        "complaint.status.changed",
        "complaint.documents.request",
        "complaint.clarification.request",
        "complaint.escalated",
        "complaint.resolved",
        "complaint.compensation.paid",
        "complaint.reopened",
        "complaint.closed",
    }


def test_derived_and_renamed_workflows_produce_the_parents_notices() -> None:
    parent = complaint_workflow()
    child = complaint_spec().derive(name="pengaduan_ntb", version=3).build()
    a, b = _story(parent)[-1], _story(child)[-1]
    # the opening's hash covers the workflow's name and version, so each case has its
    # own receipt; every other word of every notice is the parent's
    ours, theirs = receipt_of(a), receipt_of(b)
    assert ours != theirs
    parents = [(*n[:3], n[3].replace(ours, "<receipt>")) for n in _all_notices(parent, a)]
    childs = [(*n[:3], n[3].replace(theirs, "<receipt>")) for n in _all_notices(child, b)]
    assert parents == childs
    assert sum("<receipt>" in n[3] for n in childs) == 2  # the acknowledgement, id and en
    assert len(childs) > 20


def test_no_complainant_no_notice_to_the_complainant() -> None:
    wf = complaint_workflow()
    case = _story(wf, complainant=False)[-1]
    recipients = {r for _, r, *_ in _all_notices(wf, case)}
    assert recipients == {"crisis_center", "officer", "office_head"}


def test_with_notice_replaces_per_trigger_and_without_removes() -> None:
    spec = complaint_spec()
    quiet = spec.without_notice("request_documents").build()
    cases = _story(quiet)
    # request_documents has no notice of its own any more: the fallback says "status"
    (n,) = notices(quiet, cases[2])
    assert n.key == "complaint.status.changed"
    louder = spec.with_notice(
        NoticeSpec("verify", "complaint.resolved", "complainant", {"name": "complainant.name"})
    )
    assert louder.notices[-1].on == "verify"
    replaced = spec.with_notice(NoticeSpec("reopen", "complaint.reopened", "officer"))
    assert len(replaced.notices) == len(spec.notices)
    assert replaced.notices_on("reopen")[0].recipient == "officer"
    with pytest.raises(WorkflowDefinitionError, match="declares no notice on 'nope'"):
        spec.without_notice("nope")
    with pytest.raises(WrongTypeError, match="NoticeSpec"):
        spec.with_notice("complaint.reopened")  # type: ignore[arg-type]
    # removing a trigger removes the notices declared on it
    assert not spec.without_transition("reopen").notices_on("reopen")


def test_a_new_waiting_state_with_its_own_notice() -> None:
    spec = (
        complaint_spec()
        .derive(name="pengaduan_ntb")
        .with_states(
            State("awaiting_employer", "Menunggu P3MI", "Awaiting the agency", waiting=True)
        )
        .with_transitions(
            Transition("ask_employer", "in_handling", "awaiting_employer"),
            Transition("employer_replied", "awaiting_employer", "in_handling"),
        )
        .with_notice(
            NoticeSpec(
                "ask_employer",
                "ntb.employer.asked",
                "complainant",
                {"name": "complainant.name", "asked_on": "event.date"},
            )
        )
    )
    wf = spec.build()
    problems = wf.check_messages()
    assert {(p.kind, p.locale, p.key) for p in problems} == {
        ("missing", "en", "ntb.employer.asked"),
        ("missing", "id", "ntb.employer.asked"),
    }
    messages = M.with_messages(
        "id", {"ntb.employer.asked": "Yth. {name}, P3MI dihubungi pada {asked_on} ({case_number})."}
    ).with_messages("en", {"ntb.employer.asked": "Dear {name}, we asked the agency on {asked_on}."})
    assert wf.check_messages(messages) == []
    case = wf.open(
        "X",
        at=T0,
        by=actor("cc"),
        office="o",
        category="other",
        channel="sms",
        complainant=Person("Pak Budi"),
        calendar=CAL,
    )
    for trigger in ("start_verification", "verify", "ask_employer"):
        case = wf.fire(case, trigger, at=T0.add(days=1), by=actor("o", office="o"), calendar=CAL)
    (n,) = notices(wf, case)
    assert (
        n.render(messages, "id") == "Yth. Pak Budi, P3MI dihubungi pada Jumat, 20 Maret 2026 (X)."
    )


def test_check_messages_sees_overrides_and_placeholders() -> None:
    wf = complaint_workflow()
    assert wf.check_messages(M) == []
    broken = M.with_messages("en", {"complaint.closed": "Closed {case_number} ({why})"})
    (p, unused) = wf.check_messages(broken)
    assert (p.kind, p.locale, p.key) == ("placeholders", "en", "complaint.closed")
    assert "{why}" in p.detail
    assert "does not pass" in p.detail
    assert unused.kind == "unused"
    assert "{name, reason}" in unused.detail


@pytest.mark.parametrize("spec", [complaint_spec(), repatriation_spec(), outreach_spec()])
def test_standard_workflows_check_clean(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.build().check_messages(M) == []


def test_a_goal_name_with_wrong_placeholders_is_reported() -> None:
    # a catalog that lacks the name of an SLA goal fails the check, not the first breach
    entries = {"sla.goal.verification": "{x}"}
    problems = complaint_workflow().check_messages(M.with_messages("id", entries))
    assert any(p.key == "sla.goal.verification" and p.kind == "placeholders" for p in problems)


def test_notice_spec_refuses_unknown_sources_and_points() -> None:
    with pytest.raises(InvalidArgumentError, match=r"unknown value source 'case\.secret'"):
        NoticeSpec("verify", "k.x", "officer", {"x": "case.secret"})
    with pytest.raises(InvalidArgumentError, match="given twice"):
        NoticeSpec("verify", "k.x", "officer", {"office": "office"})
    with pytest.raises(InvalidArgumentError, match="not a message key"):
        NoticeSpec("verify", "K X", "officer")
    with pytest.raises(WorkflowDefinitionError, match="neither a trigger"):
        complaint_spec().with_notice(NoticeSpec("fly", "k.x", "officer")).build()
    with pytest.raises(WorkflowDefinitionError, match="reads SLA goal 'speed'"):
        complaint_spec().with_notice(
            NoticeSpec("verify", "k.x", "officer", {"d": "due.speed"})
        ).build()


def test_when_and_unless_choose_by_case() -> None:
    only_urgent = NoticeSpec("verify", "k.x", "officer", when=CaseMatch(priorities={"urgent"}))
    wf = complaint_spec(sla=False).with_notice(only_urgent).build()
    case = wf.open("A", at=T0, by=actor("c"), office="o", category="other", channel="sms")
    urgent = wf.open(
        "B", at=T0, by=actor("c"), office="o", category="other", channel="sms", priority="urgent"
    )
    for trigger in ("start_verification", "verify"):
        case = wf.fire(case, trigger, at=T0, by=actor("o", office="o"))
        urgent = wf.fire(urgent, trigger, at=T0, by=actor("o", office="o"))
    assert notices(wf, case) == ()
    assert [n.key for n in notices(wf, urgent)] == ["k.x"]


class TestReproducible:
    def test_old_events_render_as_sent_after_later_events(self) -> None:
        wf = complaint_workflow()
        cases = _story(wf)
        sent = {}
        for case in cases:
            for n in notices(wf, case, office_name="BP3MI NTT"):
                for lang in ("id", "en"):
                    sent[n.event_seq, n.key, lang] = n.render(M, lang, tz="Asia/Makassar")
        final = cases[-1]
        again = {
            (n.event_seq, n.key, lang): n.render(M, lang, tz="Asia/Makassar")
            for e in final.events
            for n in notices(wf, final, e, office_name="BP3MI NTT", calendar=CAL)
            for lang in ("id", "en")
        }
        assert again == sent
        # the acknowledgement promised verification by Friday 27 March, which the
        # newest clocks no longer say (the case was verified long since)
        ack = sent[0, "complaint.registered.ack", "en"]
        assert "by Friday, 27 March 2026, 16:30 WITA" in ack

    def test_old_event_with_deadlines_needs_the_calendar_of_then(self) -> None:
        wf = complaint_workflow()
        final = _story(wf)[-1]
        with pytest.raises(InvalidArgumentError, match="pass calendar="):
            notices(wf, final, final.events[0])
        other = CAL.with_closures([dt.date(2026, 3, 26)], name="Banjir", name_en="Flood")
        assert other.version != CAL.version
        with pytest.raises(InvalidArgumentError, match="computed on calendar version"):
            notices(wf, final, final.events[0], calendar=other)
        # events without deadlines need no calendar
        (closed,) = notices(wf, final, final.events[10])
        assert closed.key == "complaint.closed"

    def test_event_must_belong(self) -> None:
        wf = complaint_workflow()
        a, b = _story(wf)[1:3]
        with pytest.raises(InvalidArgumentError, match="does not belong"):
            notices(wf, a, b.events[-1])


def test_notices_pairwise_keys_are_unique_per_event() -> None:
    wf = complaint_workflow()
    final = _story(wf)[-1]
    by_event = itertools.groupby(_all_notices(wf, final), key=lambda x: x[2])
    for _, group in by_event:
        items = [(k, lang) for k, _, _, lang in group]
        assert len(items) == len(set(items))


def test_catalog_check_with_workflow(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli(["catalog", "check", "--workflow", "complaint"]) == 0
    assert "complaint" in capsys.readouterr().out


def test_escalation_by_a_breach_has_its_own_point() -> None:
    page = NoticeSpec("sla.escalation", "sla.breach.head", "office_head", {"goal": "sla.goal"})
    wf = complaint_spec().with_notice(page).build()
    case = wf.open(
        "E", at=T0, by=actor("cc"), office="o", category="other", channel="sms", calendar=CAL
    )
    manual = wf.fire(case, "escalate", at=T0.add(hours=1), by=actor("o", office="o"), calendar=CAL)
    assert [n.key for n in notices(wf, manual)] == ["complaint.escalated"]
    # the verification clock runs out: advance records the breach and fires escalate
    late = wf.advance(case, at=T0.add(days=30), calendar=CAL)
    fired = late.events[-1]
    assert (fired.name, "sla_goal" in fired.data) == ("escalate", True)
    assert [n.key for n in notices(wf, late)] == ["complaint.escalated", "sla.breach.head"]


class TestTransfer:
    def test_the_receiving_office_is_told_and_old_notices_keep_their_office(self) -> None:
        offices = Offices.from_file(pathlib.Path(__file__).parents[1] / "examples" / "offices.toml")
        wf = complaint_workflow().bind(offices)
        ntb, ntt = offices["bp3mi-ntb"], offices["bp3mi-ntt"]
        at = pendulum.datetime(2026, 6, 2, 9, tz="Asia/Makassar")
        case = wf.open(
            "PGD-T",
            at=at,
            by=actor("cc", "call_centre"),
            office="bp3mi-ntb",
            category="unpaid_wages",
            channel="whatsapp",
            complainant=Person("Ibu Baiq"),
        )
        (ack,) = notices(wf, case)
        sent = ack.render(M, "en", tz="Asia/Makassar")
        assert ntb.name_en in sent
        case = wf.fire(
            case, "start_verification", at=at.add(hours=1), by=actor("o", office="bp3mi-ntb")
        )
        case = wf.transfer(
            case,
            to="bp3mi-ntt",
            at=at.add(hours=2),
            by=actor("h", "head_of_office", office="bp3mi-ntb"),
        )
        (moved,) = notices(wf, case)
        assert (moved.key, moved.recipient) == ("case.transferred", "office_head")
        assert moved.render(M, "en") == (
            f"Case PGD-T has been transferred from {ntb.name_en} to {ntt.name_en}, in status "
            "Verification. Please follow it up promptly."
        )
        assert ntt.name_id in moved.render(M, "id")
        # the acknowledgement, rendered again after the transfer: NTB signed it
        (again,) = notices(wf, case, case.events[0])
        assert again.render(M, "en", tz="Asia/Makassar") == sent
        assert wf.check_messages(M) == []


def _warned(opened_at: pendulum.DateTime) -> list[tuple[str, str, str]]:
    """(goal, Indonesian, English) of the SLA notices of a case left untouched."""
    wf = complaint_workflow()
    case = wf.open(
        "PGD-9",
        at=opened_at,
        by=actor("cc"),
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        calendar=CAL,
    )
    case = wf.advance(case, at=opened_at.add(days=40), calendar=CAL)
    found = []
    for event in case.events:
        if event.kind == "sla" and event.name in ("warning", "breach"):
            for n in notices(wf, case, event=event, calendar=CAL):
                if n.key.startswith("sla."):
                    found.append((event.data["goal"], n.render(M, "id"), n.render(M, "en")))
    return found


def test_officers_are_told_when_a_deadline_is_provisional() -> None:
    # opened on 28 December 2027: the deadlines fall in 2028, which has no cuti bersama
    # decreed yet and estimated religious holidays
    found = _warned(pendulum.datetime(2027, 12, 28, 9, tz="Asia/Makassar"))
    on_working_time = [f for f in found if f[0] in ("first_response", "verification")]
    assert on_working_time
    for _, id_text, en_text in on_working_time:
        assert id_text.endswith(
            ". Sementara: batas waktu ini bertumpu pada tanggal libur yang belum ditetapkan "
            "(tanggal perkiraan, atau cuti bersama yang belum ditetapkan); dapat bergeser "
            "bila keputusannya terbit."
        )
        assert "Provisional: this deadline rests on holiday dates not decreed yet" in en_text
    # 30 days of elapsed time do not rest on holidays: no note
    documents = [f for f in found if f[0] == "documents"]
    assert documents
    assert not any("Provisional" in en for _, _, en in documents)
    # a deadline in a settled year says nothing of the kind
    settled = _warned(pendulum.datetime(2026, 11, 2, 9, tz="Asia/Makassar"))
    assert settled
    assert not any("Sementara" in i or "Provisional" in e for _, i, e in settled)


def test_a_custom_sla_notice_gets_the_provisional_value_without_declaring_it() -> None:
    spec = complaint_spec().with_notice(
        NoticeSpec("sla.warning", "sla.warning", "officer", values={"goal": "sla.goal",
                   "percent": "sla.percent", "due": "sla.due"})
    )  # fmt: skip
    assert "provisional" in spec.notices_on("sla.warning")[0].provides
    assert spec.build().check_messages(M) == []
