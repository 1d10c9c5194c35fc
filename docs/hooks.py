"""MkDocs hook: draws the workflow diagrams from the code at build time.

Each ``<!-- workflow-diagram: NAME [LANG] -->`` becomes the workflow's Mermaid diagram,
so the docs cannot drift from the definitions.
"""

from __future__ import annotations

import re
from typing import Any

import migrantcare

_MARKER = re.compile(r"<!-- workflow-diagram: (\w+)(?: (id|en))? -->")


def render(markdown: str) -> str:
    """Return ``markdown`` with every diagram marker replaced by a Mermaid block."""

    def diagram(match: re.Match[str]) -> str:
        factory = getattr(migrantcare, f"{match.group(1)}_workflow")
        return f"```mermaid\n{factory().mermaid(lang=match.group(2) or 'en')}\n```"

    return _MARKER.sub(diagram, markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs entry point."""
    return render(markdown)
