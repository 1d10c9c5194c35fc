"""Rendering notices: migrantcare's compiled templates beside str.format + Babel per value.

Run: ``python benchmarks/bench_messages.py``

The message is the acknowledgement of a complaint (two date-times: received and the
verification deadline), in Indonesian and English, rendered in the recipient's zone.
The anchor formats each value with a Babel call and fills the same template with
``str.format`` (what most code does, and what migrantcare refuses to do with
untrusted templates).
"""

from __future__ import annotations

import sys
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pendulum
from _util import per_call_us, table
from babel.dates import format_datetime

from migrantcare import Messages

M = Messages.default()
VALUES = {
    "name": "Ibu Siti Aminah",
    "received_at": pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong"),
    "case_number": "PGD-2026-000123",
    "verify_by": pendulum.datetime(2026, 3, 27, 16, 30, tz="Asia/Makassar"),
    "contact": "0800-1000 / +62 21 2924 4800",
    "office": "BP3MI Nusa Tenggara Timur",
}
PATTERNS = {"id": "EEEE, d MMMM y HH.mm", "en": "EEEE, d MMMM y, HH:mm"}
TEMPLATES = {
    "id": (
        "Yth. {name},\n\nPengaduan Anda telah kami terima pada {received_at} dengan nomor "
        "{case_number}. Kami akan memverifikasi pengaduan Anda paling lambat {verify_by}.\n\n"
        "Simpan nomor pengaduan ini untuk memantau perkembangannya. Jika ada pertanyaan, "
        "hubungi kami melalui {contact}.\n\nHormat kami,\n{office}"
    ),
    "en": (
        "Dear {name},\n\nWe received your complaint on {received_at} under number "
        "{case_number}. We will verify it by {verify_by}.\n\nKeep this number to follow the "
        "progress of your complaint. If you have any questions, contact us at {contact}.\n\n"
        "Yours sincerely,\n{office}"
    ),
}
TZ = zoneinfo.ZoneInfo("Asia/Makassar")


def anchor(locale: str) -> str:
    def stamp(value: pendulum.DateTime) -> str:
        local = value.astimezone(TZ)
        return f"{format_datetime(local, PATTERNS[locale], locale=locale)} {local.tzname()}"

    return TEMPLATES[locale].format(
        **{
            **VALUES,
            "received_at": stamp(VALUES["received_at"]),
            "verify_by": stamp(VALUES["verify_by"]),
        }
    )


def main() -> None:
    rows = []
    for locale in ("id", "en"):
        ours = M.render("complaint.registered.ack", locale, tz="Asia/Makassar", **VALUES)
        assert ours == anchor(locale), (ours, anchor(locale))  # same text, measured fairly
        mc = per_call_us(
            lambda locale=locale: M.render(
                "complaint.registered.ack", locale, tz="Asia/Makassar", **VALUES
            )
        )
        sms = per_call_us(
            lambda locale=locale: M.render(
                "complaint.registered.ack", locale, tz="Asia/Makassar", channel="sms", **VALUES
            )
        )
        base = per_call_us(lambda locale=locale: anchor(locale))
        rows.append(
            [
                locale,
                f"{1e6 / mc:,.0f}",
                f"{mc:.1f}",
                f"{1e6 / sms:,.0f}",
                f"{1e6 / base:,.0f}",
                f"{base / mc:.2f}x",
            ]
        )
    print(
        table(
            "Acknowledgement with two date-times (budget: >= 50,000 renders/s)",
            ["locale", "renders/s", "µs", "SMS renders/s", "str.format+Babel /s", "speed-up"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
