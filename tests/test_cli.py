from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import pytest

from migrantcare import outreach_workflow
from migrantcare.cli._cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


def test_demo_prints_the_timeline() -> None:
    status, text = run("demo")
    assert status == 0
    assert "Kupang (WITA)" in text
    # deadlines over Lebaran, in both languages
    assert "Verifikasi paling lambat Jumat, 27 Maret 2026 16.30 HKT" in text
    assert "Verification by Friday, 27 March 2026, 16:30 HKT" in text
    # a pause that pushes the deadline by 7 whole working days
    assert "verification    3 working days   paused" in text
    assert "verification    3 working days   running   due Wed 08 Apr 16:00" in text
    # a warning, a breach and the escalation
    assert "SLA warning: verification (warning:75)" in text
    assert "SLA breach: verification (breach)" in text
    assert "escalate by system:sla" in text
    assert "crisis_center [id]: Eskalasi ke Crisis Center" in text
    # closure notices, money in both languages
    assert "Rp18.500.000" in text
    assert "IDR18,500,000" in text
    # the timeline is chronological
    stamps = [
        line.split(" WITA  ")[0].strip()
        for line in text.splitlines()
        if line.startswith("  ") and " WITA  " in line
    ]
    parsed = [dt.datetime.strptime(s + " 2026", "%a %d %b %H:%M %Y") for s in stamps]
    assert len(parsed) > 10
    assert parsed == sorted(parsed)
    # personal data stays out of the demo's record lines
    assert "C1234567" not in text


def test_calendar_in_both_languages() -> None:
    status, text = run("calendar", "2026")
    assert status == 0
    assert "2026-03-23 Mon  cuti bersama     Cuti Bersama Hari Raya Idul Fitri" in text
    status, text = run("calendar", "2027", "--lang", "en", "--province", "Papua")
    assert "(Asia/Jayapura)" in text
    assert "Eid al-Fitr (estimated)" in text
    assert "Note: provisional data; it may change. 2027: 3 holiday dates estimated" in text


def test_deadline_in_working_days_and_hours() -> None:
    status, text = run("deadline", "2026-03-17", "--working-days", "1")
    assert status == 0
    assert "due    Wed 25 Mar 2026 16:00 WIB" in text
    status, text = run(
        "deadline", "2026-03-19T22:15+08:00", "--working-hours", "8", "--province", "Bali"
    )
    assert "due    Thu 26 Mar 2026 08:00 WITA" in text


@pytest.mark.parametrize(
    ("unit", "amount", "words"),
    [
        ("--working-days", "1", "(1 working day)"),
        ("--working-days", "2", "(2 working days)"),
        ("--working-hours", "1", "(1 working hour)"),
        ("--working-hours", "1.0", "(1 working hour)"),
        ("--working-hours", "2", "(2 working hours)"),
        ("--working-hours", "1.5", "(1.5 working hours)"),
    ],
)
def test_deadline_names_its_amount_in_the_right_number(unit: str, amount: str, words: str) -> None:
    status, text = run("deadline", "2026-03-02", unit, amount)
    assert status == 0
    assert text.splitlines()[1].endswith(words), text


def test_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run("deadline", "2026-03-17", "--working-days", "1", "--province", "Balii")
    assert status == 2
    assert "unknown province 'Balii'; did you mean 'Bali'?" in capsys.readouterr().err
    status, _ = run("deadline", "yesterday", "--working-days", "1")
    assert status == 2
    assert "not an ISO 8601" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        run("deadline", "2026-03-17")
    assert exc.value.code == 2


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "migrantcare", "calendar", "2025", "--lang", "en"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "2025-08-18 Mon  collective leave Independence Day Joint Holiday" in done.stdout


def test_workflow_listing_and_mermaid() -> None:
    status, text = run("workflow", "complaint")
    assert status == 0
    assert "* registered" in text
    assert "    verify -> in_handling" in text
    assert "awaiting_complainant" in text
    assert "[waiting]" in text
    status, text = run("workflow", "outreach", "--mermaid", "--lang", "id")
    assert text == outreach_workflow().mermaid(lang="id") + "\n"


@pytest.mark.parametrize("command", ["demo", "calendar", "deadline", "workflow", "catalog"])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: migrantcare {command}" in capsys.readouterr().out


def test_workflow_unknown_name_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run("workflow", "divorce")
    assert status == 2
    assert "'divorce' is neither a standard workflow" in capsys.readouterr().err


def test_errors_leave_no_partial_output(capsys: pytest.CaptureFixture[str]) -> None:
    status, text = run("deadline", "2040-12-30", "--working-days", "30")
    assert status == 2
    assert text == ""
    assert "outside this calendar's years" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        run("deadline", "2026-03-17", "--working-hours", "-2")
    assert exc.value.code == 2
    status, text = run("deadline", "2027-12-01", "--working-days", "20")
    assert "note   provisional" in text


def test_a_provisional_answer_says_why_and_what_settles_it() -> None:
    status, text = run("deadline", "2027-12-20", "--working-days", "20")
    assert status == 0
    note = text.splitlines()[-1]
    assert note.startswith("note   provisional: 2027: 3 holiday dates estimated")
    assert "2028: no cuti bersama decreed yet" in note
    assert "SKB on national holidays and cuti bersama 2028" in note
    status, text = run("calendar", "2028", "--lang", "id")
    assert text.splitlines()[-1].startswith(
        "Catatan: data sementara, dapat berubah. 2028: cuti bersama belum ditetapkan"
    )
    status, text = run("calendar", "2028", "--lang", "en")
    assert "Note: provisional data; it may change. 2028: no cuti bersama decreed yet" in text
    status, text = run("calendar", "2026", "--lang", "en")
    assert "Note:" not in text


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    # `migrantcare demo | head`: the reader goes away before the output is written
    import subprocess  # noqa: PLC0415 - only this test starts a process

    child = subprocess.Popen(
        [sys.executable, "-m", "migrantcare", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    child.stdout.close()
    err = child.stderr.read()
    child.stderr.close()
    assert child.wait(timeout=120) == 141
    assert err == b""
