"""MkDocs hook: draws the workflow diagrams and permission matrices from the code at build time.

Each ``<!-- workflow-diagram: NAME [LANG] -->`` becomes the workflow's Mermaid diagram and
each ``<!-- permission-matrix: NAME -->`` the table of who may act on it, so the docs
cannot drift from the definitions.
"""

from __future__ import annotations

import re
from typing import Any

import migrantcare

_MARKER = re.compile(r"<!-- workflow-diagram: (\w+)(?: (id|en))? -->")
_MATRIX = re.compile(r"<!-- permission-matrix: (\w+) -->")


def render(markdown: str) -> str:
    """Return ``markdown`` with every diagram and matrix marker replaced."""

    def diagram(match: re.Match[str]) -> str:
        factory = getattr(migrantcare, f"{match.group(1)}_workflow")
        return f"```mermaid\n{factory().mermaid(lang=match.group(2) or 'en')}\n```"

    def matrix(match: re.Match[str]) -> str:
        factory = getattr(migrantcare, f"{match.group(1)}_workflow")
        text: str = factory().permission_matrix()
        return text

    return _MATRIX.sub(matrix, _MARKER.sub(diagram, markdown))


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs entry point."""
    return render(markdown)
