"""The standard workflows: complaint, repatriation and outreach.

Stages follow Peraturan BP2MI 6/2024 (Pelayanan Penyelesaian Permasalahan CPMI dan PMI)
and Peraturan Menteri/Badan KP2MI 23/2025 (Layanan Pengaduan dan Penanganan
Permasalahan CPMI atau PMI); see ``shared/reference/complaint-handling.md``.
Each function builds a fresh :class:`Workflow`; build it once and share it.
"""

from __future__ import annotations

import datetime as _dt
from types import MappingProxyType
from typing import Literal

from migrantcare._validate import quote
from migrantcare._vocab import CLOSURE_REASONS, OUTREACH_CATEGORIES, REPATRIATION_CATEGORIES
from migrantcare.cases._notice_spec import NoticeSpec
from migrantcare.cases._workflow import ANY, Guard, State, Transition, Workflow, WorkflowSpec
from migrantcare.exceptions import InvalidArgumentError
from migrantcare.offices._permissions import (
    complaint_permissions,
    outreach_permissions,
    repatriation_permissions,
)
from migrantcare.sla._sla import CaseMatch, SlaPlan, SlaPolicy, SlaTarget

_T = Transition
_N = NoticeSpec


_CLOSED = ("resolved", "closed")
_NAME = MappingProxyType({"name": "complainant.name"})

#: What the complaint workflow tells whom. Deadlines come from the case's clocks as
#: they were at the event (``due.<goal>``); without an SLA plan the event's own time
#: stands in, as the catalog texts still need an instant.
COMPLAINT_NOTICES = (
    _N(
        "open",
        "complaint.registered.ack",
        "complainant",
        {
            **_NAME,
            "received_at": "event.at",
            "verify_by": "due.verification | event.at",
            "contact": "contact",
            # the worker's proof of filing, checkable against a published digest (#24)
            "receipt": "receipt",
        },
        channels=("sms",),
    ),
    _N(
        "request_documents",
        "complaint.documents.request",
        "complainant",
        {
            **_NAME,
            # document codes render in the reader's language; none named: "supporting documents"
            "documents": "data.documents:term.document_types | ref.doc.supporting",
            "answer_by": "due.documents | event.at",
        },
        channels=("sms",),
    ),
    _N(
        "request_clarification",
        "complaint.clarification.request",
        "complainant",
        {
            **_NAME,
            # Pasal 30(1)b: 15 working days, also when the workflow runs without clocks
            "period": "period.clarity | plural:unit.working_days:15",
            "answer_by": "due.clarity | event.at",
        },
        channels=("sms",),
    ),
    _N("resolve", "complaint.resolved", "complainant", _NAME),
    _N(
        "resolve",
        "complaint.compensation.paid",
        "complainant",
        {**_NAME, "amount": "data.amount_idr:money", "paid_on": "event.date"},
    ),
    _N(
        "close",
        "complaint.closed",
        "complainant",
        {**_NAME, "reason": "data.reason:term.closure_reasons"},
    ),
    _N("reopen", "complaint.reopened", "complainant"),
    _N("escalate", "complaint.escalated", "crisis_center", {"category": "category"}),
    _N("*", "complaint.status.changed", "complainant", {"status": "state"}),
    _N(
        "sla.warning",
        "sla.warning",
        "officer",
        {"goal": "sla.goal", "percent": "sla.percent", "due": "sla.due"},
    ),
    _N("sla.breach", "sla.breach", "officer", {"goal": "sla.goal", "due": "sla.due"}),
    _N("sla.breach", "sla.breach.head", "office_head", {"goal": "sla.goal", "due": "sla.due"}),
)

#: Every standard workflow tells the office that receives a transferred case.
TRANSFER_NOTICE = _N(
    "transfer",
    "case.transferred",
    "office_head",
    {"from_office": "data.from_office:office", "status": "state"},
)

_ARRIVAL = MappingProxyType(
    {
        **_NAME,
        "worker": "worker.name | complainant.name",
        "place": "data.place | '-'",
        "arrival": "data.arrival_at:datetime | event.at",
    }
)
_DECEASED = CaseMatch(categories={"deceased"})

#: What the repatriation workflow tells the family.
REPATRIATION_NOTICES = (
    _N("arrive", "repatriation.remains.arrival", "family", _ARRIVAL, when=_DECEASED),
    _N("arrive", "repatriation.arrival", "family", _ARRIVAL, unless=_DECEASED),
    _N("*", "repatriation.status.changed", "family", {"status": "state"}),
)

#: What the outreach workflow tells the participants.
OUTREACH_NOTICES = (
    _N(
        "coordinate",
        "outreach.invitation",
        "participants",
        {
            "village": "attr.village | '-'",
            "topic": "category",
            "held_at": "data.held_at:datetime",
            "venue": "data.venue | '-'",
        },
        channels=("sms",),
    ),
)


def complaint_sla_plan(
    *, settlement_unit: Literal["calendar_days", "working_days"] = "calendar_days"
) -> SlaPlan:
    """The default SLA policies of the complaint workflow, each citing its source.

    Confirmed by regulation (see ``shared/reference/complaint-handling.md``):

    * ``verification`` — 3 working days to verify and dispatch a report (SP4N-LAPOR!
      official FAQ); paused while awaiting documents; a breach escalates.
    * ``documents`` — 30 days from registration without the required documents
      (Peraturan BP2MI 6/2024 Pasal 30(1)a: grounds to close).
    * ``clarity`` — 15 working days without clarity after the officer asks for more data
      (Pasal 30(1)b).
    * ``unreachable`` — 60 consecutive days without reaching the complainant (Pasal 30(1)c).
    * ``settlement`` — 7 "hari" for the respondent to fulfil its written commitment
      after the second clarification (Peraturan KP2MI 23/2025 Pasal 18). Whether these
      are calendar or working days is not confirmed: ``settlement_unit`` chooses, and
      the policy is marked ``confirmed=False``.

    Configurable defaults, *not* law (``confirmed=False``):

    * ``first_response`` — 2 hours around the clock for urgent cases (the crisis
      center works 24/7), 8 working hours otherwise.
    * ``resolution`` — 14 working days from verification to resolution (a local service
      standard seen for "other" complaints); paused while awaiting the complainant; a
      breach escalates.

    Args:
        settlement_unit: How the 7 days of Pasal 18 are counted.
    """
    if settlement_unit == "calendar_days":
        settlement_target = SlaTarget.calendar_days(7)
    elif settlement_unit == "working_days":
        settlement_target = SlaTarget.working_days(7)
    else:
        raise InvalidArgumentError(
            "settlement_unit must be 'calendar_days' or 'working_days', got "
            f"{quote(settlement_unit)}"
        )
    return SlaPlan(
        (
            SlaPolicy(
                "first_response",
                SlaTarget.elapsed(_dt.timedelta(hours=2)),
                variant="urgent",
                when=CaseMatch(priorities={"urgent"}),
                start_states="registered",
                stop_events=("start_verification", "close"),
                escalate_with="escalate",
                source="migrantcare default (crisis center answers 24/7); not regulation",
                confirmed=False,
                description="An urgent complaint gets an officer's first action within 2 hours.",
            ),
            SlaPolicy(
                "first_response",
                SlaTarget.working_hours(8),
                start_states="registered",
                stop_events=("start_verification", "close"),
                source="migrantcare default; not regulation",
                confirmed=False,
                description="An officer takes up a new complaint within one working day.",
            ),
            SlaPolicy(
                "verification",
                SlaTarget.working_days(3),
                start_states="registered",
                pause_states="awaiting_documents",
                stop_states=("in_handling", "referred", *_CLOSED),
                escalate_with="escalate",
                source="SP4N-LAPOR! official FAQ: verified and dispatched within 3 working days",
                basis="guidance",  # the government's word, not a regulation
                description="The complaint is verified within 3 working days.",
            ),
            SlaPolicy(
                "documents",
                SlaTarget.calendar_days(30),
                start_states="registered",
                pause_on_waiting=False,  # it measures the wait for the documents
                stop_states=("in_handling", "referred", *_CLOSED),
                source="Peraturan BP2MI 6/2024 Pasal 30(1)a",
                description="Without the required documents 30 days after registration, "
                "the complaint may be closed (reason documents_incomplete).",
            ),
            SlaPolicy(
                "clarity",
                SlaTarget.working_days(15),
                start_states="awaiting_complainant",
                pause_on_waiting=False,  # it measures the wait itself
                stop_states=("in_handling", *_CLOSED),
                source="Peraturan BP2MI 6/2024 Pasal 30(1)b",
                description="Without clarity 15 working days after the request, the "
                "complaint may be closed (reason no_clarity).",
            ),
            SlaPolicy(
                "unreachable",
                SlaTarget.calendar_days(60),
                start_states="awaiting_complainant",
                pause_on_waiting=False,  # it measures the wait itself
                stop_states=("in_handling", *_CLOSED),
                source="Peraturan BP2MI 6/2024 Pasal 30(1)c",
                description="A complainant unreachable for 60 consecutive days: the "
                "complaint may be closed (reason unreachable).",
            ),
            SlaPolicy(
                "settlement",
                settlement_target,
                start_states="clarification_2",
                pause_states="awaiting_complainant",
                stop_states=("mediation", "referred", *_CLOSED),
                source="Peraturan KP2MI 23/2025 Pasal 18 (unit of the 7 days unconfirmed)",
                confirmed=False,
                description="After the second clarification the respondent fulfils its "
                "written commitment within 7 days; if not, a sanction may be recommended.",
            ),
            SlaPolicy(
                "resolution",
                SlaTarget.working_days(14),
                start_states="in_handling",
                pause_states="awaiting_complainant",
                stop_states=("referred", *_CLOSED),
                escalate_with="escalate",
                source="local service standard (others <= 14 working days); not regulation",
                confirmed=False,
                description="A verified complaint is resolved within 14 working days.",
            ),
        )
    )


def complaint_spec(*, sla: bool = True) -> WorkflowSpec:
    """The definition of the complaint (pengaduan) workflow, to derive extensions from.

    ``close`` requires ``data["reason"]``, one of the Pasal 30(1) grounds of Peraturan
    BP2MI 6/2024 (``CLOSURE_REASONS``); ``reopen`` requires a note.

    Args:
        sla: Attach :func:`complaint_sla_plan` (then opening and firing need the
            office's calendar).
    """
    states = (
        State("registered", "Terdaftar", "Registered"),
        State("verification", "Verifikasi", "Verification"),
        State(
            "awaiting_documents", "Menunggu kelengkapan dokumen", "Awaiting documents", waiting=True
        ),
        State("in_handling", "Dalam penanganan", "In handling"),
        State(
            "awaiting_complainant",
            "Menunggu kejelasan pengadu",
            "Awaiting the complainant",
            waiting=True,
        ),
        State("clarification_1", "Klarifikasi pertama", "First clarification"),
        State("clarification_2", "Klarifikasi kedua", "Second clarification"),
        State("mediation", "Mediasi", "Mediation"),
        State(
            "referred",
            "Dilimpahkan ke instansi lain (dipantau)",
            "Referred to another agency (monitored)",
        ),
        State("resolved", "Selesai", "Resolved", terminal=True),
        State("closed", "Ditutup", "Closed", terminal=True),
    )
    handling = ("in_handling", "clarification_1", "clarification_2", "mediation")
    transitions = (
        _T(
            "start_verification",
            "registered",
            "verification",
            label_id="Mulai verifikasi",
            label_en="Start verification",
        ),
        _T(
            "request_documents",
            "verification",
            "awaiting_documents",
            label_id="Minta kelengkapan dokumen",
            label_en="Request documents",
        ),
        _T(
            "documents_received",
            "awaiting_documents",
            "verification",
            label_id="Dokumen diterima",
            label_en="Documents received",
        ),
        _T(
            "verify",
            "verification",
            "in_handling",
            label_id="Verifikasi selesai",
            label_en="Verified",
        ),
        _T(
            "request_clarification",
            handling,
            "awaiting_complainant",
            label_id="Minta kejelasan pengadu",
            label_en="Ask the complainant for clarity",
        ),
        _T(
            "complainant_replied",
            "awaiting_complainant",
            "in_handling",
            label_id="Pengadu menjawab",
            label_en="Complainant replied",
        ),
        _T(
            "invite_clarification",
            "in_handling",
            "clarification_1",
            label_id="Undang klarifikasi",
            label_en="Invite to clarification",
        ),
        _T(
            "second_clarification",
            "clarification_1",
            "clarification_2",
            label_id="Klarifikasi kedua",
            label_en="Second clarification",
        ),
        _T(
            "mediate",
            ("clarification_1", "clarification_2"),
            "mediation",
            label_id="Fasilitasi mediasi",
            label_en="Facilitate mediation",
        ),
        _T("refer", handling, "referred", label_id="Limpahkan", label_en="Refer"),
        _T(
            "resolve",
            (*handling, "referred"),
            "resolved",
            label_id="Selesaikan",
            label_en="Resolve",
        ),
        _T(
            "close",
            ANY,
            "closed",
            guards=(Guard.require_data("reason", allowed=CLOSURE_REASONS),),
            label_id="Tutup",
            label_en="Close",
        ),
        _T(
            "reopen",
            ("resolved", "closed"),
            "in_handling",
            guards=(Guard.require_note(),),
            label_id="Buka kembali",
            label_en="Reopen",
        ),
        _T(
            "escalate",
            ANY,
            None,
            label_id="Eskalasi ke Crisis Center",
            label_en="Escalate to the crisis center",
        ),
    )
    return WorkflowSpec(
        name="complaint",
        version=1,
        initial="registered",
        states=states,
        transitions=transitions,
        description=(
            "A complaint (pengaduan) from a CPMI, PMI, former PMI, family or representative."
        ),
        sla=complaint_sla_plan() if sla else None,
        permissions=complaint_permissions(),
        notices=(*COMPLAINT_NOTICES, TRANSFER_NOTICE),
    )


def repatriation_spec() -> WorkflowSpec:
    """The definition of the repatriation (pemulangan) workflow.

    Deceased workers take the remains path: ``confirm_deceased`` then ``arrive``.
    """
    states = (
        State("requested", "Permohonan diterima", "Requested"),
        State("verifying", "Verifikasi dengan perwakilan RI", "Verifying with the mission abroad"),
        State("travel_arranged", "Kepulangan diatur", "Travel arranged"),
        State("remains_arranged", "Pemulangan jenazah diatur", "Repatriation of remains arranged"),
        State("arrived", "Tiba di debarkasi", "Arrived at the debarkation point"),
        State(
            "handed_over",
            "Diserahkan ke keluarga / daerah asal",
            "Handed over to family or region of origin",
        ),
        State("closed", "Ditutup", "Closed", terminal=True),
    )
    transitions = (
        _T(
            "start_verification", "requested", "verifying", label_id="Verifikasi", label_en="Verify"
        ),
        _T(
            "arrange_travel",
            "verifying",
            "travel_arranged",
            label_id="Atur kepulangan",
            label_en="Arrange travel",
        ),
        _T(
            "confirm_deceased",
            "verifying",
            "remains_arranged",
            label_id="Konfirmasi meninggal dunia",
            label_en="Confirm death",
        ),
        _T(
            "arrive",
            ("travel_arranged", "remains_arranged"),
            "arrived",
            label_id="Tiba",
            label_en="Arrive",
        ),
        _T("hand_over", "arrived", "handed_over", label_id="Serahkan", label_en="Hand over"),
        _T("close", "handed_over", "closed", label_id="Tutup", label_en="Close"),
        _T(
            "cancel",
            ("requested", "verifying", "travel_arranged"),
            "closed",
            guards=(Guard.require_note(),),
            label_id="Batalkan",
            label_en="Cancel",
        ),
        _T("escalate", ANY, None, label_id="Eskalasi", label_en="Escalate"),
    )
    return WorkflowSpec(
        name="repatriation",
        version=1,
        initial="requested",
        states=states,
        transitions=transitions,
        categories=REPATRIATION_CATEGORIES,
        description="Repatriation (pemulangan) of a worker, or of a deceased worker's remains.",
        permissions=repatriation_permissions(),
        notices=(*REPATRIATION_NOTICES, TRANSFER_NOTICE),
    )


def outreach_spec() -> WorkflowSpec:
    """The definition of the outreach (sosialisasi) workflow, incl. Desa Migran Emas."""
    states = (
        State("planned", "Direncanakan", "Planned"),
        State(
            "coordinated",
            "Dikoordinasikan dengan pemerintah daerah",
            "Coordinated with the regional government",
        ),
        State("held", "Terlaksana", "Held"),
        State("reported", "Dilaporkan", "Reported"),
        State("evaluated", "Dievaluasi", "Evaluated", terminal=True),
        State("cancelled", "Dibatalkan", "Cancelled", terminal=True),
    )
    transitions = (
        _T("coordinate", "planned", "coordinated", label_id="Koordinasi", label_en="Coordinate"),
        _T("hold", "coordinated", "held", label_id="Laksanakan", label_en="Hold"),
        _T("report", "held", "reported", label_id="Laporkan", label_en="Report"),
        _T("evaluate", "reported", "evaluated", label_id="Evaluasi", label_en="Evaluate"),
        _T(
            "cancel",
            ("planned", "coordinated"),
            "cancelled",
            guards=(Guard.require_note(),),
            label_id="Batalkan",
            label_en="Cancel",
        ),
    )
    return WorkflowSpec(
        name="outreach",
        version=1,
        initial="planned",
        states=states,
        transitions=transitions,
        categories=OUTREACH_CATEGORIES,
        description="Outreach on safe migration (sosialisasi), incl. Desa Migran Emas villages.",
        permissions=outreach_permissions(),
        notices=(*OUTREACH_NOTICES, TRANSFER_NOTICE),
    )


def complaint_workflow(*, sla: bool = True) -> Workflow:
    """The standard complaint workflow, built, with its default SLA plan.

    Args:
        sla: ``False`` builds it without SLA clocks (no calendar needed).

    Examples:
        >>> complaint_workflow().allowed_events("registered")
        ('start_verification', 'close', 'escalate')
    """
    return complaint_spec(sla=sla).build()


def repatriation_workflow() -> Workflow:
    """The standard repatriation workflow, built."""
    return repatriation_spec().build()


def outreach_workflow() -> Workflow:
    """The standard outreach workflow, built."""
    return outreach_spec().build()
