"""``migrantcare report``: the office performance report from a case export or demo data.

Kept apart from ``_cli.py`` so the command's parsing and file handling live together.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import attrs

from migrantcare._time import zone
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.definitions._standard import (
    complaint_workflow,
    outreach_workflow,
    repatriation_workflow,
)
from migrantcare.demo._demo_data import demo_cases
from migrantcare.exceptions import InvalidArgumentError, MigrantCareError
from migrantcare.offices._offices import Offices
from migrantcare.records._case import Case
from migrantcare.reports._performance import performance_figures
from migrantcare.reports._report_html import figures_to_csv, render_report_html


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date (YYYY-MM-DD, e.g. 2026-01-31)"
        ) from None


def _instant(text: str) -> _dt.datetime:
    try:
        value = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--at {text!r} is not an ISO datetime (e.g. 2027-01-05T08:00+07:00)"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"--at {text!r} has no UTC offset; add one, e.g. {text}+07:00"
        )
    return value


def _read_cases(path: str) -> Iterator[Case]:
    """Cases from a JSON-lines file (one ``Case.to_dict()`` per line; blank lines skipped)."""
    try:
        handle = Path(path).open(encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path!r}: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidArgumentError(
                    f"{path}:{number}: not a JSON line ({exc.msg}); expected one "
                    "Case.to_dict() object per line"
                ) from None
            try:
                yield Case.from_dict(data)
            except MigrantCareError as exc:
                raise type(exc)(f"{path}:{number}: {exc}") from None


def _store_cases(url: str) -> tuple[Iterator[Case], _dt.datetime | None]:
    """The cases of the SQL store at ``url``, streamed without personal data.

    Returns the cases (read in batches while the figures are computed) and the instant
    of the newest stored event.
    """
    try:
        import sqlalchemy as sa  # noqa: PLC0415 - the sql extra is optional

        from migrantcare.sql import SqlCaseStore  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the test environment has the extra
        raise InvalidArgumentError(
            '--db needs the sql extra: pip install "migrantcare[sql]"'
        ) from None
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        raise InvalidArgumentError(f"--db: not a usable database URL ({exc})") from None
    workflows = (complaint_workflow(), repatriation_workflow(), outreach_workflow())
    try:
        store = SqlCaseStore(engine, workflows)
        newest = store.newest_event_at()
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise InvalidArgumentError(
            f"--db: cannot read the case store ({type(exc).__name__}: "
            f"{str(exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc).splitlines()[0]})"
        ) from None

    def stream() -> Iterator[Case]:
        try:
            yield from store.iter_cases()
        finally:
            engine.dispose()

    return stream(), newest


@attrs.frozen
class _Source:
    """Where ``migrantcare report`` takes its cases from, and for which period and instant."""

    cases: Iterable[Case]
    offices: object
    start: _dt.date
    end: _dt.date
    at: _dt.datetime


def _demo_source(args: argparse.Namespace) -> _Source:
    data = demo_cases(seed=args.seed, offices=args.demo_offices, year=args.year or 2026,
                      complaints=args.demo_complaints)  # fmt: skip
    return _Source(
        cases=list(data.cases),
        offices=data.offices,
        start=args.start or data.period_start,
        end=args.end or data.period_end,
        at=args.at or data.at,
    )


def _offices_of(args: argparse.Namespace) -> object:
    """The office directory given, else one calendar for every office."""
    if args.offices:
        return Offices.from_file(args.offices)
    if args.province:
        return WorkingCalendar.for_province(args.province)
    return WorkingCalendar.indonesia()


def _period_of(args: argparse.Namespace) -> tuple[_dt.date, _dt.date]:
    if args.year:
        return _dt.date(args.year, 1, 1), _dt.date(args.year, 12, 31)
    if args.start is None or args.end is None:
        raise InvalidArgumentError("give the period: --year YYYY, or --from and --to")
    return args.start, args.end


def _stored_source(args: argparse.Namespace) -> _Source:
    """The cases of a JSON-lines export or of the SQL store, taken at ``--at``.

    Without ``--at``, as of the newest event (the library never reads a clock), else
    the start of the day after the period.
    """
    offices = _offices_of(args)
    cases: Iterable[Case]
    newest: _dt.datetime | None
    if args.db is not None:
        cases, newest = _store_cases(args.db)
    else:
        cases = list(_read_cases(args.cases))
        newest = max((c.events[-1].at for c in cases), default=None)
    start, end = _period_of(args)
    at = args.at or newest
    if at is None:
        at = _dt.datetime.combine(end + _dt.timedelta(days=1), _dt.time(), zone("Asia/Jakarta"))
    return _Source(cases=cases, offices=offices, start=start, end=end, at=at)


def _write(args: argparse.Namespace, page: str, table: str | None, out: TextIO) -> None:
    try:
        if args.output == "-":
            out.write(page)
        else:
            Path(args.output).write_text(page, encoding="utf-8")
        if table is not None:
            Path(args.csv).write_text(table, encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidArgumentError(f"cannot write {exc.filename!r}: {exc.strerror}") from None


def cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``migrantcare report``; everything is computed before anything is written."""
    if [bool(args.cases), args.demo, args.db is not None].count(True) != 1:
        raise InvalidArgumentError(
            "give one source of cases: a JSON-lines file, --db URL, or --demo"
        )
    source = _demo_source(args) if args.demo else _stored_source(args)
    workflows = (complaint_workflow(), repatriation_workflow(), outreach_workflow())
    figures = performance_figures(
        source.cases,
        workflows=workflows,
        offices=source.offices,
        period_start=source.start,
        period_end=source.end,
        at=source.at,
    )
    page = render_report_html(figures, lang=args.lang, offices=args.office or None)
    table = figures_to_csv(figures, lang=args.lang) if args.csv else None
    _write(args, page, table, out)
    if args.output != "-":
        out.write(
            f"wrote {args.output}: {len(figures.offices)} office(s), {figures.cases_read} "
            f"case(s), {source.start} to {source.end}\n"
        )
    return 0


def add_report_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the ``report`` subcommand to the ``migrantcare`` parser."""
    rep = sub.add_parser(
        "report",
        help="build the office performance report (one self-contained HTML file)",
        description="Build the office performance report from a JSON-lines export of cases "
        "(one Case.to_dict() per line), from the SQL store (--db) or from demo data.",
    )
    rep.add_argument("cases", nargs="?", help="JSON-lines file of cases")
    rep.add_argument(
        "--db",
        metavar="URL",
        help="read the cases from the SQL store at this SQLAlchemy URL "
        "(e.g. postgresql+psycopg://host/db, sqlite:///cases.db); needs the sql extra",
    )
    rep.add_argument("--demo", action="store_true", help="use a generated demo year instead")
    rep.add_argument("--year", type=int, help="the period is this calendar year")
    rep.add_argument("--from", dest="start", type=_date, help="first day of the period")
    rep.add_argument("--to", dest="end", type=_date, help="last day of the period (included)")
    rep.add_argument(
        "--at", type=_instant, help="take the figures at this instant (default: newest event)"
    )
    rep.add_argument("--lang", choices=("id", "en"), default="id", help="language of the page")
    rep.add_argument("-o", "--output", default="-", help="HTML file to write ('-': stdout)")
    rep.add_argument("--csv", help="also write every figure to this CSV file")
    rep.add_argument(
        "--office", action="append", help="give a section to this office only (repeatable)"
    )
    rep.add_argument(
        "--offices", help="office directory (TOML or JSON): names, provinces, calendars"
    )
    rep.add_argument(
        "--province", help="without --offices: every office's province (calendar and zone)"
    )
    rep.add_argument("--seed", type=int, default=2026, help="demo: random seed")
    rep.add_argument("--demo-offices", type=int, default=4, help="demo: how many offices (1-10)")
    rep.add_argument(
        "--demo-complaints", type=int, default=1200, help="demo: complaints over the year"
    )
    rep.set_defaults(func=cmd_report)
