"""Every script in examples/ runs, and prints what it promises."""

from __future__ import annotations

import pathlib
import runpy

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(
    path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip(), f"{path.name} printed nothing"
    assert "Traceback" not in out


def test_lifecycle_example_reaches_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES[0].parent / "complaint_lifecycle.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "now 'resolved'" in out
    assert "remains_arranged -> arrived" in out
    assert "now 'evaluated'" in out
    assert "replay reproduces the case" in out
