"""The three standard workflows end to end: a complaint, a repatriation, an outreach event.

Run: ``python examples/complaint_lifecycle.py``
"""

from __future__ import annotations

import json
from pathlib import Path

import pendulum

from migrantcare import (
    Actor,
    Case,
    Offices,
    Person,
    complaint_workflow,
    outreach_workflow,
    repatriation_workflow,
    replay,
)


def show(case: Case, tz: str) -> None:
    print(f"{case.id}  ({case.workflow} v{case.workflow_version}, now {case.state!r})")
    for event in case.events:
        local = pendulum.instance(event.at).in_timezone(tz)
        arrow = f"{event.source} -> {event.dest}" if event.source else f"opened in {event.dest}"
        print(f"  {local:%a %d %b %H:%M}  {event.name:<22} {arrow:<40} by {event.by}")
    print()


def main() -> None:
    # The host's office directory (fictional offices), configured once.
    offices = Offices.from_file(Path(__file__).with_name("offices.toml"))
    office_tz = offices.calendar("bp3mi-ntt").tz  # BP3MI in Kupang (WITA)
    t = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
    agent = Actor("callcenter-01", roles={"call_centre"}, office="call-centre")
    officer = Actor("officer-ntt-7", roles={"officer"}, office="bp3mi-ntt")

    # 1. A worker in Hong Kong complains about unpaid wages.
    complaint = complaint_workflow().bind(offices)  # calendars come from the offices
    case = complaint.open(
        "PGD-2026-000123",
        at=t,
        by=agent,
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah", kind="pmi", passport_number="C1234567"),
        attributes={"destination": "HK", "placement": "procedural"},
    )
    # The office reopens after Nyepi and Lebaran on Wednesday 25 March (times in WITA).
    steps = [
        ("start_verification", "2026-03-25 08:10", None, None),
        ("request_documents", "2026-03-25 10:40", "employment contract missing", None),
        ("documents_received", "2026-03-27 09:05", None, None),
        ("verify", "2026-03-27 14:30", None, None),
        ("invite_clarification", "2026-03-30 09:00", "P3MI invited", None),
        ("second_clarification", "2026-04-06 10:00", None, None),
        ("mediate", "2026-04-09 13:30", None, None),
        ("resolve", "2026-04-16 15:00", "wages paid in full", {"amount_idr": 18_500_000}),
    ]
    for trigger, local, note, data in steps:
        at = pendulum.parse(local, tz=office_tz)
        case = complaint.fire(case, trigger, at=at, by=officer, note=note, data=data)
    show(case, office_tz)

    # Store it, load it, check it: the host's persistence recipe.
    stored = json.dumps(case.to_dict())
    loaded = Case.from_dict(json.loads(stored))
    loaded.verify(head_hash=case.head_hash)
    assert replay(loaded, complaint) == case
    print(f"stored {len(stored):,} bytes of JSON; history verified; replay reproduces the case\n")

    # 2. A deceased worker's remains are repatriated from Malaysia.
    repatriation = repatriation_workflow()
    r = repatriation.open(
        "PLG-2026-000045",
        at=pendulum.datetime(2026, 4, 2, 10, tz="Asia/Kuala_Lumpur"),
        by=agent,  # the embassy's request, registered by the call centre
        office="bp3mi-ntt",
        category="deceased",
        channel="embassy",
        complainant=Person("Keluarga almarhum", kind="family"),
    )
    for trigger, hours in [
        ("start_verification", 2),
        ("confirm_deceased", 26),
        ("arrive", 72),
        ("hand_over", 76),
        ("close", 120),
    ]:
        at = r.opened_at + pendulum.duration(hours=hours)
        r = repatriation.fire(r, trigger, at=at, by=officer)
    show(r, office_tz)

    # 3. Safe-migration outreach in a Desa Migran Emas village.
    outreach = outreach_workflow()
    # the head of BP3MI NTB plans it and, once reported, evaluates it (see docs/permissions.md)
    ntb = Actor("kepala-ntb", roles={"officer", "head_of_office"}, office="bp3mi-ntb")
    o = outreach.open(
        "SOS-2026-0007",
        at=pendulum.datetime(2026, 5, 4, 9, tz="Asia/Makassar"),
        by=ntb,
        office="bp3mi-ntb",
        category="desa_migran_emas",
        channel="in_person",
        attributes={"village": "Desa Contoh", "regency": "Lombok Timur"},
    )
    for trigger, days in [("coordinate", 3), ("hold", 17), ("report", 18), ("evaluate", 30)]:
        o = outreach.fire(o, trigger, at=o.opened_at + pendulum.duration(days=days), by=ntb)
    show(o, office_tz)


if __name__ == "__main__":
    main()
