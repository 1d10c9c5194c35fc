"""The built docs (and the pages migrantcare generates) in a real browser, offline.

Debian's ``chromium`` opens every page from a server on 127.0.0.1 (see ``tests/browser.py``
for how it is driven and watched) and the tests fail on any console error, failed
request, request leaving localhost, diagram left unrendered, or broken internal link.
The site is built once per test session. Screenshots of first screens are kept under
the session's output folder, printed in the test log.

Without chromium the tests are skipped with a one-line reason, except under ``CI=true``,
where ``.ci/run`` installs it and a missing browser is a failure.
"""

from __future__ import annotations

import argparse
import io
import os
import pathlib
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable

import attrs
import pytest

from migrantcare.cli._cli import build_parser, main
from tests.browser import browser, find_chromium, serve_site

# The docs build and a real browser take about half a minute: a system test.
pytestmark = pytest.mark.system

ROOT = pathlib.Path(__file__).parent.parent


def _commands() -> frozenset[str]:
    parser = build_parser()
    return frozenset(
        name
        for action in parser._actions  # argparse keeps subcommands only there
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    )


def _cli_page(*argv: str) -> Callable[[pathlib.Path], None]:
    """A writer that runs ``migrantcare ARGV --output PATH`` and checks it succeeded."""

    def write(path: pathlib.Path) -> None:
        status = main([*argv, "--output", str(path)], out=io.StringIO())
        assert status == 0, f"migrantcare {' '.join(argv)} failed with status {status}"
        assert path.is_file(), f"migrantcare {' '.join(argv)} wrote no {path}"

    return write


#: Pages migrantcare generates, opened beside the docs: (path under the site, writer).
#: Each gets a screenshot of its first screen. One line per generated page.
GENERATED: tuple[tuple[str, Callable[[pathlib.Path], None]], ...] = (
    *(
        (
            ("report/id.html", _cli_page("report", "--demo", "--lang", "id")),
            ("report/en.html", _cli_page("report", "--demo", "--lang", "en")),
        )
        if "report" in _commands()
        else ()
    ),
)


@attrs.frozen
class Visit:
    """What one page showed in the browser."""

    url: str
    problems: tuple[str, ...]
    diagrams: int
    rendered: int
    links: tuple[str, ...]
    ids: frozenset[str]


@attrs.frozen
class Tour:
    """Every page of a site, visited once."""

    site: pathlib.Path
    base: str
    visits: dict[str, Visit]
    server_errors: tuple[str, ...]
    tripped: tuple[str, ...]
    screenshots: tuple[pathlib.Path, ...]
    seconds: float


def _chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def _page_url(site: pathlib.Path, base: str, page: pathlib.Path) -> str:
    relative = page.relative_to(site).as_posix()
    if relative == "index.html" or relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return base + relative


def tour(
    chromium: str,
    site: pathlib.Path,
    out: pathlib.Path,
    shots: tuple[str, ...],
    diagram_timeout: float = 20.0,
) -> Tour:
    """Open every ``.html`` file under ``site``; screenshot the pages named in ``shots``."""
    started = time.perf_counter()
    visits: dict[str, Visit] = {}
    screenshots = []
    with (
        serve_site(site) as (base, server_errors),
        browser(chromium, out / "profile") as (
            page,
            tripped,
        ),
    ):
        pages = sorted(site.rglob("*.html"))
        for number, path in enumerate(pages):
            url = _page_url(site, base, path)
            page.open(url)
            diagrams, rendered = page.rendered_diagrams(diagram_timeout)
            if number == 0:
                page.settle(1.0)  # the search worker loads its index: let it finish
            relative = path.relative_to(site).as_posix()
            if relative in shots:
                shot = out / (relative.replace("/", "_").removesuffix(".html") + ".png")
                page.screenshot(shot)
                screenshots.append(shot)
            links, ids = page.links_and_ids()
            visits[url] = Visit(
                url=url,
                problems=tuple(page.problems(base)),
                diagrams=diagrams,
                rendered=rendered,
                links=tuple(links),
                ids=frozenset(ids),
            )
        page.settle(0.2)
        return Tour(
            site=site,
            base=base,
            visits=visits,
            server_errors=tuple(server_errors),
            tripped=tuple(tripped),
            screenshots=tuple(screenshots),
            seconds=time.perf_counter() - started,
        )


def broken_links(result: Tour) -> list[str]:
    """Return the internal links of the tour that lead nowhere (a file or an anchor)."""
    local = urllib.parse.urlsplit(result.base).netloc
    broken = []
    for visit in result.visits.values():
        for link in visit.links:
            parts = urllib.parse.urlsplit(link)
            if parts.netloc != local:
                continue  # leaving the site is a link, not a request; only requests are checked
            path = urllib.parse.unquote(parts.path).lstrip("/")
            target = result.site / path
            if path == "" or path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{visit.url} links to missing {link}")
                continue
            page = result.visits.get(urllib.parse.urlunsplit(parts._replace(fragment="")))
            if parts.fragment and page is not None and parts.fragment not in page.ids:
                broken.append(f"{visit.url} links to missing anchor {link}")
    return broken


def expected_diagrams(path: pathlib.Path) -> int:
    """Count the Mermaid blocks the build put in a page (before any script ran)."""
    return path.read_text(encoding="utf-8").count('<pre class="mermaid">')


def _say(config: pytest.Config, text: str) -> None:
    """Print a line in the test log, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(text)


@pytest.fixture(scope="session")
def output(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> pathlib.Path:
    out = tmp_path_factory.mktemp("browser")
    _say(pytestconfig, f"\nbrowser test output (screenshots): {out}")
    return out


@pytest.fixture(scope="session")
def docs_tour(output: pathlib.Path, pytestconfig: pytest.Config) -> Tour:
    chromium = _chromium()
    site = output / "site"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=True,
        capture_output=True,
    )
    built = time.perf_counter() - started
    for relative, write in GENERATED:
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write(target)
    shots = ("index.html", *(relative for relative, _ in GENERATED))
    result = tour(chromium, site, output, shots)
    _say(
        pytestconfig,
        f"browser test: docs built in {built:.1f} s; {len(result.visits)} pages, "
        f"{sum(v.diagrams for v in result.visits.values())} diagrams, "
        f"{sum(len(v.links) for v in result.visits.values())} links in "
        f"{result.seconds:.1f} s; screenshots: {', '.join(map(str, result.screenshots))}",
    )
    return result


def test_every_page_opens_without_errors_or_outside_requests(docs_tour: Tour) -> None:
    assert len(docs_tour.visits) >= 20
    problems = [f"{v.url}: {p}" for v in docs_tour.visits.values() for p in v.problems]
    assert problems == []
    assert list(docs_tour.server_errors) == []
    assert list(docs_tour.tripped) == []


def test_every_diagram_is_drawn(docs_tour: Tour) -> None:
    missing = []
    for path in sorted(docs_tour.site.rglob("*.html")):
        visit = docs_tour.visits[_page_url(docs_tour.site, docs_tour.base, path)]
        wanted = expected_diagrams(path)
        if not visit.diagrams == visit.rendered == wanted:
            missing.append(f"{visit.url}: {wanted} diagrams, {visit.rendered} drawn as svg")
    assert missing == []
    assert sum(v.rendered for v in docs_tour.visits.values()) >= 3


def test_no_internal_link_is_broken(docs_tour: Tour) -> None:
    assert sum(len(v.links) for v in docs_tour.visits.values()) > 500
    assert broken_links(docs_tour) == []


def test_first_screens_are_kept(docs_tour: Tour) -> None:
    assert len(docs_tour.screenshots) == 1 + len(GENERATED)
    for shot in docs_tour.screenshots:
        data = shot.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 10_000  # a rendered page, not a blank screen


_BROKEN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bad</title>
<script src="http://cdn.example.invalid/lib.js"></script>
<link rel="stylesheet" href="https://fonts.example.invalid/font.css"></head>
<body><h1 id="top">A page with every fault</h1>
<img src="missing.png" alt="">
<a href="nowhere/">a missing page</a> <a href="#absent">a missing anchor</a>
<a href="#top">a good anchor</a> <a href="https://example.org/">an outside link</a>
<pre class="mermaid"><code>stateDiagram-v2
  a --> b</code></pre>
<script>console.error("boom"); undefinedFunction();</script>
</body></html>
"""


def test_the_checks_catch_each_fault(tmp_path: pathlib.Path) -> None:
    # The tour's assertions mean something only if each kind of fault is really seen.
    chromium = _chromium()
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(_BROKEN_PAGE, encoding="utf-8")
    result = tour(chromium, site, tmp_path, (), diagram_timeout=1.0)
    (visit,) = result.visits.values()
    text = "\n".join(visit.problems)
    assert "console.error: boom" in text
    assert "undefinedFunction is not defined" in text
    assert "request leaving the site: http://cdn.example.invalid/lib.js" in text
    assert "request leaving the site: https://fonts.example.invalid/font.css" in text
    assert "HTTP 404" in text
    assert "missing.png" in text
    assert any("missing.png" in e for e in result.server_errors)
    assert any("cdn.example.invalid" in t for t in result.tripped)
    assert any("fonts.example.invalid:443" in t for t in result.tripped)
    assert (visit.diagrams, visit.rendered) == (1, 0)
    assert expected_diagrams(site / "index.html") == 1
    broken = broken_links(result)
    assert len(broken) == 2
    assert "missing" in broken[0]
    assert "nowhere/" in broken[0]
    assert "missing anchor" in broken[1]
    assert "#absent" in broken[1]


def test_built_pages_show_code_not_raw_markup(docs_tour: Tour) -> None:
    # Docstring examples under "Example:" became nested block quotes, and a snippet
    # include mangled by a formatter printed "--8 < --" instead of the example's code.
    for path in sorted(docs_tour.site.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        assert "<blockquote>" not in html, path
        assert "--8" not in html.replace("--8&lt;--", ""), path
    scheduler = docs_tour.site / "howto" / "scheduler" / "index.html"
    assert "heapq" in scheduler.read_text(encoding="utf-8")  # examples/scheduler_loop.py
