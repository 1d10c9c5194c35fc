"""Sample values for every message, used by the golden-output test and the benchmark."""

from __future__ import annotations

from typing import Any

import pendulum

from migrantcare import (
    CATEGORIES,
    CLOSURE_REASONS,
    OUTREACH_CATEGORIES,
    MessageRef,
    Messages,
    Money,
    Plural,
    complaint_workflow,
)

_DUE = pendulum.datetime(2026, 3, 27, 16, 30, tz="Asia/Makassar")
_STATE = complaint_workflow(sla=False).state("in_handling")

SAMPLES: dict[str, dict[str, Any]] = {
    "unit.working_days": {"count": 15},
    "unit.days": {"count": 30},
    "unit.working_hours": {"count": 1},
    "doc.supporting": {},
    "complaint.registered.ack": {
        "name": "Ibu Siti Aminah",
        "received_at": pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong"),
        "case_number": "PGD-2026-000123",
        "verify_by": _DUE,
        "contact": "0800-1000 / +62 21 2924 4800",
        "office": "BP3MI Nusa Tenggara Timur",
        "receipt": "PGD-2026-000123 33a72d19733af84f 2026-03-19",
    },
    "complaint.documents.request": {
        "name": "Ibu Siti Aminah",
        "case_number": "PGD-2026-000123",
        "documents": {
            "id": ["paspor", "visa", "perjanjian kerja"],
            "en": ["passport", "visa", "employment contract"],
        },
        "answer_by": pendulum.datetime(2026, 4, 18, 22, 15, tz="Asia/Makassar"),
        "office": "BP3MI Nusa Tenggara Timur",
    },
    "complaint.clarification.request": {
        "name": "Ibu Siti Aminah",
        "case_number": "PGD-2026-000123",
        "period": Plural("unit.working_days", 15),
        "answer_by": pendulum.datetime(2026, 4, 21, 16, tz="Asia/Makassar"),
        "office": "BP3MI Nusa Tenggara Timur",
    },
    "complaint.status.changed": {
        "case_number": "PGD-2026-000123",
        "status": _STATE,
        "office": "BP3MI NTT",
    },
    "complaint.resolved": {
        "name": "Ibu Siti Aminah",
        "case_number": "PGD-2026-000123",
        "office": "BP3MI Nusa Tenggara Timur",
    },
    "complaint.compensation.paid": {
        "name": "Ibu Siti Aminah",
        "amount": Money(18_500_000),
        "case_number": "PGD-2026-000123",
        "paid_on": pendulum.date(2026, 4, 16),
        "office": "BP3MI NTT",
    },
    "complaint.closed": {
        "name": "Ibu Siti Aminah",
        "case_number": "PGD-2026-000123",
        "reason": CLOSURE_REASONS.term("unreachable"),
        "office": "BP3MI Nusa Tenggara Timur",
    },
    "complaint.reopened": {"case_number": "PGD-2026-000123", "office": "BP3MI NTT"},
    "complaint.escalated": {
        "case_number": "PGD-2026-000123",
        "office": "BP3MI Nusa Tenggara Timur",
        "category": CATEGORIES.term("unpaid_wages"),
    },
    "case.transferred": {
        "case_number": "PGD-2026-000123",
        "from_office": "BP3MI Nusa Tenggara Barat",
        "office": "BP3MI Nusa Tenggara Timur",
        "status": _STATE,
    },
    "sla.warning": {
        "case_number": "PGD-2026-000123",
        "goal": MessageRef("sla.goal.verification"),
        "percent": 75,
        "due": _DUE,
        "office": "BP3MI NTT",
        "provisional": "",
    },
    "sla.breach": {
        "case_number": "PGD-2026-000123",
        "goal": MessageRef("sla.goal.verification"),
        "due": _DUE,
        "office": "BP3MI NTT",
        # a deadline on holiday data not settled yet: the note is appended
        "provisional": MessageRef("sla.provisional"),
    },
    "sla.breach.head": {
        "case_number": "PGD-2026-000123",
        "goal": MessageRef("sla.goal.verification"),
        "due": _DUE,
        "office": "BP3MI Nusa Tenggara Timur",
        "provisional": "",
    },
    "repatriation.arrival": {
        "name": "Bapak Yohanes",
        "worker": "Maria",
        "place": "Bandara El Tari, Kupang",
        "arrival": pendulum.datetime(2026, 4, 5, 10, 40, tz="Asia/Makassar"),
        "office": "BP3MI Nusa Tenggara Timur",
        "case_number": "PLG-2026-000045",
    },
    "repatriation.remains.arrival": {
        "name": "Bapak Yohanes",
        "worker": "Maria",
        "place": "Bandara El Tari, Kupang",
        "arrival": pendulum.datetime(2026, 4, 5, 10, 40, tz="Asia/Makassar"),
        "office": "BP3MI Nusa Tenggara Timur",
        "case_number": "PLG-2026-000045",
    },
    "repatriation.status.changed": {
        "case_number": "PLG-2026-000045",
        "status": _STATE,
        "office": "BP3MI NTT",
    },
    "outreach.invitation": {
        "village": "Desa Contoh",
        "topic": OUTREACH_CATEGORIES.term("safe_migration"),
        "held_at": pendulum.datetime(2026, 5, 21, 9, tz="Asia/Makassar"),
        "venue": "Balai Desa Contoh",
        "office": "BP3MI Nusa Tenggara Barat",
        "case_number": "SOS-2026-0007",
    },
}
for goal in (
    "first_response",
    "verification",
    "documents",
    "clarity",
    "unreachable",
    "settlement",
    "resolution",
):
    SAMPLES[f"sla.goal.{goal}"] = {}
SAMPLES["sla.provisional"] = {}


def values_for(key: str, locale: str) -> dict[str, Any]:
    base = key[: -len(".sms")] if key.endswith(".sms") else key
    values = dict(SAMPLES[base])
    return {k: (v[locale] if isinstance(v, dict) else v) for k, v in values.items()}


def render_all(messages: Messages) -> str:
    """Every message of both locales, rendered with the samples, as one reviewable text."""
    out = []
    for key in sorted(messages.keys("id")):
        if key.startswith("_format."):
            continue
        for locale in ("id", "en"):
            base = key[: -len(".sms")] if key.endswith(".sms") else key
            text = messages.render(
                base,
                locale,
                tz="Asia/Makassar",
                channel="sms" if key.endswith(".sms") else None,
                **values_for(key, locale),
            )
            out.append(f"=== {key} [{locale}]\n{text}\n")
    return "\n".join(out)
