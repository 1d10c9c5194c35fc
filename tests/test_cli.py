from __future__ import annotations

import io
import subprocess
import sys

import pytest

from migrantcare import outreach_workflow
from migrantcare._cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


def test_demo_prints_the_timeline() -> None:
    status, text = run("demo")
    assert status == 0
    assert "Nusa Tenggara Timur" in text
    assert "Cuti Bersama Hari Raya Idul Fitri / Eid al-Fitr Joint Holiday" in text
    assert "due Fri 27 Mar 2026 16:30 WITA" in text
    assert "due Wed 25 Mar 2026 11:30 WITA" in text


def test_calendar_in_both_languages() -> None:
    status, text = run("calendar", "2026")
    assert status == 0
    assert "2026-03-23 Mon  cuti bersama     Cuti Bersama Hari Raya Idul Fitri" in text
    status, text = run("calendar", "2027", "--lang", "en", "--province", "Papua")
    assert "(Asia/Jayapura)" in text
    assert "Eid al-Fitr (estimated)" in text
    assert "Note: this year's data is partly estimated" in text


def test_deadline_in_working_days_and_hours() -> None:
    status, text = run("deadline", "2026-03-17", "--working-days", "1")
    assert status == 0
    assert "due    Wed 25 Mar 2026 16:00 WIB" in text
    status, text = run(
        "deadline", "2026-03-19T22:15+08:00", "--working-hours", "8", "--province", "Bali"
    )
    assert "due    Thu 26 Mar 2026 08:00 WITA" in text


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


def test_workflow_unknown_name_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run("workflow", "divorce")
    assert exc.value.code == 2
    assert "invalid choice: 'divorce'" in capsys.readouterr().err
