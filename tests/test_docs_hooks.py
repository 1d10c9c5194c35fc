"""The docs' workflow diagrams are generated from the code."""

from __future__ import annotations

import importlib.util
import pathlib
import re

from migrantcare import complaint_workflow

ROOT = pathlib.Path(__file__).parent.parent


def load_hooks():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_markers_become_diagrams() -> None:
    hooks = load_hooks()
    out = hooks.render("before\n<!-- workflow-diagram: complaint id -->\nafter")
    assert out == f"before\n```mermaid\n{complaint_workflow().mermaid(lang='id')}\n```\nafter"


def test_every_standard_workflow_is_drawn_in_the_docs() -> None:
    text = (ROOT / "docs" / "workflows.md").read_text()
    for name in ("complaint", "repatriation", "outreach"):
        assert f"<!-- workflow-diagram: {name} -->" in text


def test_matrix_markers_become_tables() -> None:
    hooks = load_hooks()
    out = hooks.render("<!-- permission-matrix: complaint -->")
    assert out == complaint_workflow().permission_matrix()
    assert out.startswith("| action | `call_centre` | `officer` |")
    assert "| `close` Close |" in out
    assert "<!--" not in out


def test_every_standard_matrix_is_in_the_docs() -> None:
    text = (ROOT / "docs" / "permissions.md").read_text()
    for name in ("complaint", "repatriation", "outreach"):
        assert f"<!-- permission-matrix: {name} -->" in text


def test_docstring_examples_use_examples_sections() -> None:
    # mkdocstrings renders an "Examples:" section as code; "Example:" is read as an
    # admonition whose ">>>" lines turn into nested block quotes.
    src = ROOT / "src" / "migrantcare"
    singular = [
        f"{path.name}:{number}"
        for path in sorted(src.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.fullmatch(r"\s+Example:\s*", line)
    ]
    assert singular == []
