"""The standard workflows: complaint, repatriation and outreach.

Stages follow Peraturan BP2MI 6/2024 (Pelayanan Penyelesaian Permasalahan CPMI dan PMI)
and Peraturan Menteri/Badan KP2MI 23/2025 (Layanan Pengaduan dan Penanganan
Permasalahan CPMI atau PMI); see ``shared/reference/complaint-handling.md``.
Each function builds a fresh :class:`Workflow`; build it once and share it.
"""

from __future__ import annotations

from migrantcare._vocab import CLOSURE_REASONS, OUTREACH_CATEGORIES, REPATRIATION_CATEGORIES
from migrantcare._workflow import ANY, Guard, State, Transition, Workflow, WorkflowSpec

_T = Transition


def complaint_spec() -> WorkflowSpec:
    """The definition of the complaint (pengaduan) workflow, to derive extensions from.

    ``close`` requires ``data["reason"]``, one of the Pasal 30(1) grounds of Peraturan
    BP2MI 6/2024 (``CLOSURE_REASONS``); ``reopen`` requires a note.
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
    )


def complaint_workflow() -> Workflow:
    """The standard complaint workflow, built.

    Example:
        >>> complaint_workflow().allowed_events("registered")
        ('start_verification', 'close', 'escalate')
    """
    return complaint_spec().build()


def repatriation_workflow() -> Workflow:
    """The standard repatriation workflow, built."""
    return repatriation_spec().build()


def outreach_workflow() -> Workflow:
    """The standard outreach workflow, built."""
    return outreach_spec().build()
