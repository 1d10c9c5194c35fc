"""The self-contained HTML report, its CSV, the demo data and ``migrantcare report``."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest

from migrantcare import (
    Actor,
    DemoData,
    complaint_workflow,
    demo_cases,
    figures_to_csv,
    performance_figures,
    render_report_html,
)
from migrantcare.cli._cli import main
from migrantcare.exceptions import InvalidArgumentError, MigrantCareError, UnknownTermError
from migrantcare.reports._performance import PerformanceFigures
from migrantcare.reports._report_html import CSV_HEADER, _csv_safe, csv_rows

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source"}


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return demo_cases(seed=3, offices=3, complaints=150, outreach_per_office=6)


@pytest.fixture(scope="module")
def figs(demo: DemoData) -> PerformanceFigures:
    return performance_figures(
        demo.cases,
        workflows=demo.workflows,
        offices=demo.offices,
        period_start=demo.period_start,
        period_end=demo.period_end,
        at=demo.at,
    )


class Checker(HTMLParser):
    """Checks that every element is closed in order, and collects what the page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "srcset", "data", "poster", "action"}:
                self.urls.append(value or "")
            if name == "href":
                self.hrefs.append(value or "")
            if name == "id":
                self.ids.append(value or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def check(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    return checker


@pytest.mark.parametrize("lang", ["id", "en"])
def test_page_is_well_formed_and_loads_nothing(figs: PerformanceFigures, lang: str) -> None:
    page = render_report_html(figs, lang=lang)
    c = check(page)
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in page
    assert "script" not in c.tags
    assert c.urls == []  # no src= of any kind
    # links are in-page anchors, the CSV downloads, and the empty icon (no request)
    external = [h for h in c.hrefs if not h.startswith(("#", "data:"))]
    assert external == []
    assert re.findall(r"https?://[^\s\"<]*", page) == ["http://www.w3.org/2000/svg"] * page.count(
        "<svg"
    )
    assert "default-src 'none'" in page
    # every in-page link has its target, ids are unique
    assert len(c.ids) == len(set(c.ids))
    assert {h[1:] for h in c.hrefs if h.startswith("#")} <= set(c.ids)
    # charts are labelled for screen readers; every table has column headers
    assert page.count("<svg") == page.count('role="img"') > 10
    assert page.count("<title id=") == page.count("<svg")
    assert page.count("<table>") == page.count("<thead>")


def test_page_speaks_the_language(figs: PerformanceFigures) -> None:
    id_page, en_page = render_report_html(figs), render_report_html(figs, lang="en")
    assert "Laporan kinerja kantor BP3MI" in id_page
    assert "Peringkat kantor" in id_page
    assert "Desa Migran Emas" in id_page
    assert "office performance report" in en_page
    assert "Wilson 95 % lower bound" in en_page
    # numbers and dates in the language's style: 1.234 and "Des" in Indonesian
    assert "31 Des 2026" in id_page
    assert "31 Dec 2026" in en_page
    # dates in each office's zone
    assert "WITA (Asia/Makassar)" in en_page
    assert "WIT (Asia/Jayapura)" in en_page
    # sources: regulation and migrantcare default both named
    assert "Peraturan BP2MI 6/2024 Pasal 30(1)a" in en_page
    assert "migrantcare default / unconfirmed" in en_page
    with pytest.raises(InvalidArgumentError, match="lang must be 'id' or 'en', got 'fr'"):
        render_report_html(figs, lang="fr")


def test_office_filter(figs: PerformanceFigures) -> None:
    page = render_report_html(figs, lang="en", offices=["bp3mi-ntt"])
    assert 'id="o-bp3mi-ntt"' in page
    assert 'id="o-bp3mi-jatim"' not in page
    assert "BP3MI East Java" in page  # still ranked among all offices
    with pytest.raises(UnknownTermError, match="no figures for office 'bp3mi-x'"):
        render_report_html(figs, offices=["bp3mi-x"])


def test_every_value_is_escaped(figs: PerformanceFigures) -> None:
    hostile = '<img src=x onerror="alert(1)">&'
    office = attrs.evolve(figs.offices[0], name_en=hostile, province=hostile, office=hostile)
    channel = attrs.evolve(office.channels[0], channel=hostile)
    office = attrs.evolve(office, channels=(channel,))
    rank = attrs.evolve(figs.ranking[0], office=hostile)
    evil = attrs.evolve(figs, offices=(office,), ranking=(rank,))
    page = render_report_html(evil, lang="en")
    c = check(page)
    assert "img" not in c.tags
    assert hostile not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in page


def test_csv_round_trip(figs: PerformanceFigures) -> None:
    text = figures_to_csv(figs)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    expected = [[_csv_safe(v) for v in row] for row in csv_rows(figs)]
    assert rows[1:] == expected
    table = {(r[0], r[1], r[2], r[3]): r[4] for r in rows[1:]}
    for o in (figs.total, *figs.offices):
        assert table[("opened", o.office, "", "count")] == str(o.opened)
        for g in o.goals:
            assert table[("goal", o.office, g.goal, "breached")] == str(g.breached)
    assert int(table[("ranking", figs.ranking[0].office, "", "rank")]) == 1


def test_csv_neutralises_formulas() -> None:
    assert _csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _csv_safe("@SUM") == "'@SUM"
    assert _csv_safe(-3) == "-3"
    assert _csv_safe(None) == ""
    assert _csv_safe(1.0 / 3) == "0.33"


def test_table_csv_downloads_match_the_tables(figs: PerformanceFigures) -> None:
    page = render_report_html(figs, lang="en")
    links = re.findall(
        r'download="ranking.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', page
    )
    (encoded,) = links
    text = base64.b64decode(encoded).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Office", "Rank", "Cases opened"]
    assert [r[1] for r in rows[1:]] == [str(r.rank) for r in figs.ranking]
    assert [r[-1] for r in rows[1:]] == [r.office for r in figs.ranking]


# --------------------------------------------------------------------------- demo data


def test_demo_data_is_reproducible_and_verifies(demo: DemoData) -> None:
    again = demo_cases(seed=3, offices=3, complaints=150, outreach_per_office=6)
    assert again == demo
    other = demo_cases(seed=4, offices=3, complaints=150, outreach_per_office=6)
    assert other.cases != demo.cases
    assert len(demo.cases) == 150 + 3 * 6
    for case in demo.cases:
        case.verify(head_hash=case.head_hash)
    zones = {o.calendar.tz for o in demo.offices}
    assert zones == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    kinds = {e.kind for c in demo.cases for e in c.events}
    assert {"opened", "transition", "sla", "transferred"} <= kinds
    # a transferred case ends at another office than it opened at, and says so
    moved = next(c for c in demo.cases if any(e.kind == "transferred" for e in c.events))
    (event,) = (e for e in moved.events if e.kind == "transferred")
    assert event.data["to_office"] == moved.office != event.data["from_office"]
    assert {c.workflow for c in demo.cases} == {"complaint", "outreach"}
    assert any(c.category == "desa_migran_emas" for c in demo.cases)


def test_demo_offices_have_the_flood_closure() -> None:
    data = demo_cases(offices=["bp3mi-jateng"], complaints=0, outreach_per_office=0)
    (office,) = data.offices
    flood = office.calendar.holidays_on(dt.date(2026, 2, 10))
    assert [(h.kind, h.name_en) for h in flood] == [("office", "Flood")]
    with pytest.raises(InvalidArgumentError, match="unknown demo office"):
        demo_cases(offices=["bp3mi-x"])
    with pytest.raises(InvalidArgumentError, match="between 1 and 10"):
        demo_cases(offices=11)
    with pytest.raises(InvalidArgumentError, match="complaints must be a non-negative int"):
        demo_cases(complaints=-1)


# --------------------------------------------------------------------------- CLI


def test_cli_report_from_demo(tmp_path: Path) -> None:
    out = io.StringIO()
    html_path, csv_path = tmp_path / "r.html", tmp_path / "r.csv"
    status = main(
        ["report", "--demo", "--demo-offices", "2", "--demo-complaints", "40", "--lang", "en",
         "-o", str(html_path), "--csv", str(csv_path)],
        out=out,
    )  # fmt: skip
    assert status == 0
    assert out.getvalue().startswith(f"wrote {html_path}: 2 office(s)")
    check(html_path.read_text(encoding="utf-8"))
    assert csv_path.read_text(encoding="utf-8").startswith("figure,office,key,measure,value")


def test_cli_report_from_json_lines(tmp_path: Path, demo: DemoData) -> None:
    export = tmp_path / "cases.jsonl"
    lines = [json.dumps(c.to_dict()) for c in demo.cases if c.workflow == "complaint"]
    export.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    out = io.StringIO()
    status = main(["report", str(export), "--year", "2026", "--office", "bp3mi-ntt"], out=out)
    assert status == 0
    page = out.getvalue()
    check(page)
    assert 'id="o-bp3mi-ntt"' in page
    assert 'id="o-bp3mi-jatim"' not in page


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_cli_report_from_the_sql_store_equals_the_report_from_its_export(
    backend: str, tmp_path: Path, demo: DemoData, request: pytest.FixtureRequest
) -> None:
    import sqlalchemy as sa  # noqa: PLC0415

    from migrantcare import outreach_workflow, repatriation_workflow  # noqa: PLC0415
    from migrantcare.sql import SqlCaseStore, create_all  # noqa: PLC0415
    from tests.store_support import open_case, truncate  # noqa: PLC0415

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cases.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    create_all(engine)
    if backend == "postgresql":
        truncate(engine)
    store = SqlCaseStore(
        engine, (complaint_workflow(), repatriation_workflow(), outreach_workflow())
    )
    for case in demo.cases:
        store.add(case)
    engine.dispose()
    export = tmp_path / "cases.jsonl"
    export.write_text("".join(json.dumps(c.to_dict()) + "\n" for c in demo.cases), "utf-8")
    from_file, from_db = io.StringIO(), io.StringIO()
    assert main(["report", str(export), "--year", "2026", "--lang", "en"], out=from_file) == 0
    assert main(["report", "--db", url, "--year", "2026", "--lang", "en"], out=from_db) == 0
    check(from_db.getvalue())
    assert from_db.getvalue() == from_file.getvalue()
    # the store's stream carries no personal data, though the store holds some
    engine = sa.create_engine(url)
    store = SqlCaseStore(engine, complaint_workflow(sla=False))
    store.add(open_case(complaint_workflow(sla=False), None, "PII-1"))  # type: ignore[arg-type]
    streamed = list(store.iter_cases(batch=7))
    engine.dispose()
    assert len(streamed) == len(demo.cases) + 1
    assert all(c.complainant is None and c.worker is None for c in streamed)


def test_cli_report_with_an_office_directory(tmp_path: Path, demo: DemoData) -> None:
    export = tmp_path / "cases.jsonl"
    export.write_text("".join(json.dumps(c.to_dict()) + "\n" for c in demo.cases), "utf-8")
    directory = tmp_path / "offices.json"
    entries = [
        {"id": o.id, "name_id": o.name_id, "name_en": o.name_en, "province": o.province,
         "head_title_id": o.head_title_id, "head_title_en": o.head_title_en}
        for o in demo.offices
    ]  # fmt: skip
    directory.write_text(json.dumps({"office": entries}), encoding="utf-8")
    out = io.StringIO()
    argv = ["report", str(export), "--offices", str(directory), "--year", "2026", "--lang", "en"]
    assert main(argv, out=out) == 0
    page = out.getvalue()
    assert "BP3MI East Nusa Tenggara" in page
    assert "Nusa Tenggara Timur" in page  # the province, for outreach and the heading


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report"], "give one source of cases: a JSON-lines file, --db URL, or --demo"),
        (["report", "{export}", "--demo"], "give one source of cases"),
        (["report", "--db", "nota://x", "--year", "2026"], "--db: not a usable database URL"),
        (
            ["report", "--db", "sqlite:////nonexistent-dir/x.db", "--year", "2026"],
            "--db: cannot read the case store (OperationalError",
        ),
        (["report", "missing.jsonl", "--year", "2026"], "cannot read 'missing.jsonl'"),
        (["report", "{export}"], "give the period: --year YYYY, or --from and --to"),
        (["report", "{bad}", "--year", "2026"], "bad.jsonl:2: not a JSON line"),
        (["report", "{wrong}", "--year", "2026"], "wrong.jsonl:1: unknown case schema"),
        (["report", "{export}", "--year", "2026", "--offices", "nope.toml"], "nope.toml"),
    ],
)
def test_cli_report_errors_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = complaint_workflow(sla=False)
    case = wf.open("A", at=dt.datetime(2026, 1, 5, 8, tzinfo=dt.timezone.utc),
                   by=Actor("cc", roles={"call_centre"}), office="bp3mi-x", category="other",
                   channel="sms")  # fmt: skip
    good = json.dumps(case.to_dict())
    files = {"export": good, "bad": good + "\n{oops", "wrong": '{"schema": "x"}'}
    for name, text in files.items():
        (tmp_path / f"{name}.jsonl").write_text(text, encoding="utf-8")
    args = [a.format(**{k: str(tmp_path / f"{k}.jsonl") for k in files}) for a in argv]
    out = io.StringIO()
    assert main(args, out=out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("migrantcare report: error: ")
    assert message in err
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    "call",
    [
        lambda f: performance_figures([42], workflows=complaint_workflow(), offices={},
                                      period_start=dt.date(2026, 1, 1),
                                      period_end=dt.date(2026, 1, 2), at=f.at),
        lambda f: performance_figures([], workflows=42, offices={},
                                      period_start=dt.date(2026, 1, 1),
                                      period_end=dt.date(2026, 1, 2), at=f.at),
        lambda f: performance_figures([], workflows=complaint_workflow(), offices={},
                                      period_start=dt.date(2026, 1, 1),
                                      period_end=dt.date(2026, 1, 2), at=f.at, service_goals=3),
        lambda f: performance_figures([], workflows=complaint_workflow(), offices={},
                                      period_start=dt.date(2026, 1, 1),
                                      period_end=dt.date(2026, 1, 2),
                                      at=dt.datetime(2026, 1, 1)),
        lambda f: render_report_html(42),
        lambda f: render_report_html(f, offices=3),
        lambda f: render_report_html(f, lang=None),
        lambda f: figures_to_csv("x"),
        lambda f: f.office(7),
        lambda f: demo_cases(offices="x"),
        lambda f: demo_cases(complaints=2.5),
        lambda f: demo_cases(year=10**6),
    ],
)  # fmt: skip
def test_wrong_values_raise_library_errors(figs: PerformanceFigures, call: object) -> None:
    with pytest.raises(MigrantCareError):
        call(figs)  # type: ignore[operator]


def _table_csv(page: str, filename: str) -> list[list[str]]:
    (encoded,) = re.findall(
        rf'download="{re.escape(filename)}" href="data:text/csv;charset=utf-8;base64,([^"]+)"',
        page,
    )
    return list(csv.reader(io.StringIO(base64.b64decode(encoded).decode("utf-8-sig"))))


def _section_of(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start : page.index("</section>", start)]


def test_the_indonesian_sources_table_and_its_csv_speak_indonesian(
    figs: PerformanceFigures,
) -> None:
    page = render_report_html(figs, lang="id")
    rows = _table_csv(page, "sla-sources.csv")
    text = " ".join(" ".join(r) for r in rows[1:])
    for english in (" hours", " working days", "not regulation", "migrantcare default", "FAQ:"):
        assert english not in text, english
    assert "2 jam" in text
    assert "bukan peraturan" in text
    section = _section_of(page, "sources")
    assert "FAQ resmi SP4N-LAPOR!" in section
    # each goal's basis: an official FAQ is guidance, not regulation
    by_goal = {(r[0], r[1]): r[-1] for r in rows[1:]}
    verification = next(v for (g, _), v in by_goal.items() if g == "Verifikasi")
    assert verification == "pedoman resmi"
    documents = next(v for (g, _), v in by_goal.items() if g.startswith("Kelengkapan"))
    assert documents == "peraturan"
    en_rows = _table_csv(render_report_html(figs, lang="en"), "sla-sources.csv")
    assert {r[-1] for r in en_rows[1:]} == {
        "regulation",
        "official guidance",
        "migrantcare default / unconfirmed",
    }
    # the language-neutral CSV names the basis by code
    table = {(r[0], r[2], r[3]): r[4] for r in csv_rows(figs)}
    assert table["goal_source", "verification/default", "basis"] == "guidance"


def test_right_to_left_office_names_are_isolated(figs: PerformanceFigures) -> None:
    evil_name = "\u202eevil office"  # RIGHT-TO-LEFT OVERRIDE flips the rest of a line
    arabic = "مكتب العمل"
    first = attrs.evolve(figs.offices[0], name_en=evil_name, name_id=evil_name)
    second = attrs.evolve(figs.offices[1], name_en=arabic, name_id=arabic)
    evil = attrs.evolve(figs, offices=(first, second, *figs.offices[2:]))
    for lang in ("id", "en"):
        page = render_report_html(evil, lang=lang)
        assert check(page).problems == []
        # every occurrence sits inside an isolate: <bdi> in HTML, FSI..PDI in SVG text
        for name in (evil_name, arabic):
            total = page.count(name)
            assert total > 0
            assert page.count(f"<bdi>{name}</bdi>") + page.count(f"\u2068{name}\u2069") == total
        # a plain name is left as it is
        plain = figs.offices[2].name(lang)
        assert f"<bdi>{plain}</bdi>" not in page
        ranking = _table_csv(page, "ranking.csv")
        assert f"\u2068{evil_name}\u2069" in {r[0] for r in ranking[1:]}


def test_the_report_says_how_many_deadlines_rest_on_estimates(
    figs: PerformanceFigures,
) -> None:
    total = figs.total
    goals = tuple(attrs.evolve(g, provisional=min(1, g.met + g.pending)) for g in total.goals)
    reason = (
        "2028: cuti bersama belum ditetapkan (dipastikan oleh SKB 2028)",
        "2028: no cuti bersama decreed yet (settled by the SKB 2028)",
    )
    marked = attrs.evolve(figs, total=attrs.evolve(total, goals=goals), provisional_reason=reason)
    n, of = marked.total.provisional, marked.total.deadlines
    assert 0 < n < of
    id_page = render_report_html(marked, lang="id")
    assert f"{n} dari {of:,}".replace(",", ".") + " batas waktu" in id_page
    assert reason[0] in id_page
    en_page = render_report_html(marked, lang="en")
    assert f"{n} of {of:,} deadlines" in en_page
    assert reason[1] in en_page
    # none provisional: no such note
    settled_goals = tuple(attrs.evolve(g, provisional=0) for g in total.goals)
    settled = attrs.evolve(
        figs,
        total=attrs.evolve(total, goals=settled_goals),
        offices=tuple(
            attrs.evolve(o, goals=tuple(attrs.evolve(g, provisional=0) for g in o.goals))
            for o in figs.offices
        ),
        provisional_reason=("", ""),
    )
    assert "bertumpu pada data libur" not in render_report_html(settled, lang="id")
    assert "rest on holiday data" not in render_report_html(settled, lang="en")
    table = {(r[0], r[1], r[2], r[3]): r[4] for r in csv_rows(marked)}
    first = goals[0]
    assert table["goal", "*", first.goal, "provisional"] == first.provisional


def test_the_all_figures_csv_of_the_indonesian_page_speaks_indonesian(
    figs: PerformanceFigures,
) -> None:
    page = render_report_html(figs, lang="id")
    (encoded,) = re.findall(
        r'download="performance.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', page
    )
    rows = list(csv.reader(io.StringIO(base64.b64decode(encoded).decode("utf-8-sig"))))
    targets = {r[2]: r[4] for r in rows[1:] if r[0] == "goal_source" and r[3] == "target"}
    assert targets["first_response/urgent"] == "2 jam"
    sources = {r[2]: r[4] for r in rows[1:] if r[0] == "goal_source" and r[3] == "source"}
    assert sources["first_response/default"] == "bawaan migrantcare; bukan peraturan"
    # codes stay codes: the figure, measure and basis columns are the same in both
    assert figures_to_csv(figs, lang="id").splitlines()[0] == figures_to_csv(figs).splitlines()[0]
    english = figures_to_csv(figs)
    assert "2 hours" in english
    assert "2 jam" not in english
    with pytest.raises(InvalidArgumentError, match="lang must be 'id' or 'en'"):
        figures_to_csv(figs, lang="fr")


def test_cli_report_csv_follows_lang(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    table = tmp_path / "r.csv"
    status = main(["report", "--demo", "--year", "2026", "--lang", "id", "-o", str(out),
                   "--csv", str(table)])  # fmt: skip
    assert status == 0
    assert ",2 jam" in table.read_text(encoding="utf-8-sig")
