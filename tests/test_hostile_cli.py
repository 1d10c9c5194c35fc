"""The command line never shows a traceback: one line on stderr, exit status 2."""

from __future__ import annotations

import io
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrantcare.cli._cli import main

BAD = [
    ["deadline", "2026-03-19", "--working-hours", "inf"],
    ["deadline", "2026-03-19", "--working-hours", "1e308"],
    ["deadline", "2026-03-19", "--working-hours", "nan"],
    ["deadline", "2026-03-19", "--working-hours", "-3"],
    ["deadline", "2026-03-19", "--working-days", "-3"],
    ["deadline", "2026-03-19", "--working-days", "0"],
    ["deadline", "2026-03-19T10:00+24:00", "--working-days", "3"],
    ["deadline", "2026-03-19T10:00-24:00", "--working-days", "3"],
    ["deadline", "9999-12-31T23:00-10:00", "--working-days", "3"],
    ["deadline", "0001-01-01T01:00+10:00", "--working-hours", "3"],
    ["deadline", "2026-03-19", "--working-days", "3", "--province="],
    ["calendar", "2026", "--province="],
    ["calendar", "99999999999999999999"],
]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        status = main(argv, out=io.StringIO())
    except SystemExit as exc:  # argparse's own refusals
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


@pytest.mark.parametrize("argv", BAD, ids=" ".join)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str], hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    status, err = _run(argv, capsys)
    assert status == 2
    assert err.count("\n") == 1, err
    assert "Traceback" not in err


def test_an_empty_catalog_directory_is_refused(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _run(["catalog", "check", str(tmp_path)], capsys)
    assert status == 2
    assert err.count("\n") == 1, err


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.text(max_size=30),
    amount=st.one_of(st.text(max_size=12), st.floats().map(repr), st.integers().map(str)),
    unit=st.sampled_from(["--working-days", "--working-hours"]),
)
def test_any_deadline_arguments_never_show_a_traceback(
    start: str, amount: str, unit: str, capsys: pytest.CaptureFixture[str], hostile_tally: list[int]
) -> None:
    hostile_tally[0] += 1
    if start.startswith("-") or (amount.startswith("-") and not amount[1:2].isdigit()):
        start = "x" + start  # argparse would read it as an option
    status, err = _run(["deadline", start, unit, amount], capsys)
    assert status in (0, 2)
    if status == 2:
        assert err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["catalog", "check", ""],
        ["catalog", "check", "   "],
        ["workflow", "check", "complaint", "--catalog", ""],
    ],
    ids=repr,
)
def test_an_empty_catalog_path_is_refused_not_skipped(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # An unset variable in CI (`migrantcare catalog check "$DIR"`) must not pass having
    # checked only migrantcare's own catalogs.
    status, err = _run(argv, capsys)
    assert status == 2
    assert err.count("\n") == 1, err
    assert "empty" in err


HOSTILE_DEFINITIONS = {
    "deep.toml": ("x = " + "{a = " * 5000 + "1" + "}" * 5000).encode(),
    "deep.json": ("[" * 100_000 + "]" * 100_000).encode(),
    "utf16.toml": 'format = "migrantcare.workflow/1"\nextends = "complaint"\n'.encode("utf-16"),
    "binary.toml": bytes(range(256)) * 4,
    "surrogate.json": (
        b'{"format": "migrantcare.workflow/1", "extends": "complaint", "description": "a\\ud800b"}'
    ),
    "huge.toml": b'format = "migrantcare.workflow/1"\nextends = "complaint"\nversion = '
    + b"9" * 400
    + b"\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_DEFINITIONS))
@pytest.mark.parametrize("how", [["workflow", "check"], ["workflow"]], ids=" ".join)
def test_a_hostile_definition_file_is_one_line_naming_the_file(
    name: str,
    how: list[str],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    hostile_tally: list[int],
) -> None:
    hostile_tally[0] += 1
    path = tmp_path / name
    path.write_bytes(HOSTILE_DEFINITIONS[name])
    status, err = _run([*how, str(path), *([] if how[-1] == "check" else ["--mermaid"])], capsys)
    assert status == 2
    assert err.count("\n") == 1, err
    assert name in err
    assert "Traceback" not in err
    assert "please report" not in err
