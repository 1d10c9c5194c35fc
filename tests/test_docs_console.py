"""Every ``console`` block in the docs and the README runs, and prints what it shows.

A line ``$ migrantcare ...`` is run through the command line; the lines after it are
its expected output (standard output, then standard error). ``...`` ends the
comparison early; ``<BLANKLINE>`` stands for an empty line.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re
import shlex

import pytest

from migrantcare.cli._cli import main

ROOT = pathlib.Path(__file__).parent.parent
FILES = sorted([*ROOT.joinpath("docs").rglob("*.md"), ROOT / "README.md"])
BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)


def sessions() -> list[tuple[str, str, list[str]]]:
    found = []
    for path in FILES:
        for block in BLOCK.findall(path.read_text(encoding="utf-8")):
            command, expected = None, []
            for line in block.splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        found.append((path.name, command, expected))
                    command, expected = line[2:], []
                else:
                    expected.append(line)
            assert command is not None, f"{path}: a console block without a command"
            found.append((path.name, command, expected))
    return found


SESSIONS = sessions()


def test_docs_have_console_examples() -> None:
    assert len(SESSIONS) >= 8


@pytest.mark.parametrize(
    ("doc", "command", "expected"), SESSIONS, ids=[f"{d}:{c}" for d, c, _ in SESSIONS]
)
def test_console_example(doc: str, command: str, expected: list[str]) -> None:
    argv = shlex.split(command)
    if argv[:3] == ["python", "-m", "migrantcare"]:
        argv = argv[3:]
    elif argv[:1] == ["migrantcare"]:
        argv = argv[1:]
    else:
        pytest.fail(f"{doc}: console blocks may only run migrantcare, not {command!r}")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(argv, out=out)
    lines = (out.getvalue() + err.getvalue()).splitlines()
    wanted = ["" if line == "<BLANKLINE>" else line for line in expected]
    if "..." in wanted:
        cut = wanted.index("...")
        assert lines[:cut] == wanted[:cut]
    else:
        assert lines == wanted
    assert (status != 0) == any("error:" in line for line in lines)
