"""The ``migrantcare`` command line.

Each subcommand is a thin shell over the public API: parse, call, print. Errors from
the library become one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NoReturn, TextIO

import pendulum

from migrantcare._validate import quote
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.calendar._holidays import Holiday
from migrantcare.calendar._regions import ZONE_ABBREVIATIONS
from migrantcare.cases._workflow import State, Workflow
from migrantcare.cli._audit_cli import add_audit_parser
from migrantcare.cli._report_cli import add_report_parser
from migrantcare.definitions._definition import dump_workflow, load_workflow
from migrantcare.definitions._standard import (
    complaint_workflow,
    outreach_workflow,
    repatriation_workflow,
)
from migrantcare.demo._demo import run_demo
from migrantcare.exceptions import InvalidArgumentError, MigrantCareError
from migrantcare.messages._messages import (
    CatalogProblem,
    Messages,
    check_catalogs,
    default_directory,
    format_problems,
)


def _zone_label(tz: str) -> str:
    return ZONE_ABBREVIATIONS.get(tz, tz)


def _calendar(province: str | None) -> WorkingCalendar:
    if province is None:
        return WorkingCalendar.indonesia()
    if not province.strip():
        # an empty --province is a mistake, not a request for the default zone
        raise argparse.ArgumentTypeError(
            "--province must name a province, e.g. 'Nusa Tenggara Timur'; it is empty"
        )
    return WorkingCalendar.for_province(province)


#: The most working hours ``deadline`` accepts (about 100 years of office hours).
_MAX_HOURS = 250_000.0


def _working_hours(text: str) -> float:
    """``--working-hours``: a finite, positive number of hours, at most ``_MAX_HOURS``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {quote(text)}") from None
    if not (math.isfinite(value) and 0 < value <= _MAX_HOURS):
        raise argparse.ArgumentTypeError(
            f"must be a positive number of hours up to {_MAX_HOURS:g}, got {quote(text)} "
            "(negative values are refused, like negative --working-days)"
        )
    return value


def _working_days(text: str) -> int:
    """``--working-days``: a whole number of days >= 1 (negative values are refused)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {quote(text)}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of days >= 1, got {quote(text)} (negative values are "
            "refused, like negative --working-hours)"
        )
    return value


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {quote(text)}") from None


def _fmt_instant(value: pendulum.DateTime, tz: str) -> str:
    return f"{value.format('ddd D MMM YYYY HH:mm')} {_zone_label(tz)}"


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    run_demo(out)
    return 0


def _cmd_calendar(args: argparse.Namespace, out: TextIO) -> int:
    cal = _calendar(args.province)
    lang = args.lang
    if args.ics:
        out.write(cal.to_ics(args.year, lang=lang, uid_prefix=_uid_prefix(args.province)))
        return 0
    holidays = cal.holidays(args.year)  # fails before anything is printed
    title = "Hari libur" if lang == "id" else "Holidays"
    out.write(f"{title} {args.year} ({cal.tz})\n")
    for h in holidays:
        out.write(_holiday_line(h, lang))
    reason = cal.provisional_reason(_dt.date(args.year, 1, 1), lang=lang)
    if reason:
        note = (
            f"Catatan: data sementara, dapat berubah. {reason}."
            if lang == "id"
            else f"Note: provisional data; it may change. {reason}."
        )
        out.write(note + "\n")
    return 0


def _uid_prefix(province: str | None) -> str:
    """The UID prefix of a calendar file: the office's province, as a slug.

    Two offices' files imported side by side stay apart; the text is built whole first,
    so an error prints nothing.
    """
    prefix = "-".join("".join(c if c.isalnum() else " " for c in province or "").split())
    return prefix.lower() or "indonesia"


#: How a holiday's kind and an estimated date read, in Indonesian and in English:
#: ``(kind words, the word for any other kind, the estimate mark)``.
_HOLIDAY_WORDS: Final = MappingProxyType(
    {
        "id": (
            {"national": "libur nasional", "collective_leave": "cuti bersama"},
            "kantor tutup",
            " (perkiraan)",
        ),
        "en": (
            {"national": "national holiday", "collective_leave": "collective leave"},
            "office closure",
            " (estimated)",
        ),
    }
)


def _holiday_line(h: Holiday, lang: str) -> str:
    kinds, other, estimated = _HOLIDAY_WORDS["id" if lang == "id" else "en"]
    kind = kinds.get(h.kind, other)
    est = estimated if h.estimated else ""
    return f"  {h.date.isoformat()} {h.date:%a}  {kind:<16} {h.name(lang)}{est}\n"


def _parse_start(text: str, tz: str) -> pendulum.DateTime:
    try:
        parsed = pendulum.parse(text, tz=tz)
    except (ValueError, TypeError, OverflowError) as exc:
        # pendulum raises ValueError for an offset of +-24:00 and OverflowError near
        # year 1 or 9999: all mean the same to the user
        raise argparse.ArgumentTypeError(
            f"START {quote(text)} is not an ISO 8601 date or datetime with an offset "
            "between -23:59 and +23:59 (e.g. 2026-03-19T10:00+08:00)"
        ) from exc
    if not isinstance(parsed, pendulum.DateTime):
        raise argparse.ArgumentTypeError(f"START {quote(text)} must be a date or a datetime")
    try:
        parsed.in_timezone(tz)
    except (OverflowError, ValueError):
        raise argparse.ArgumentTypeError(
            f"START {quote(text)} is not a usable instant in the office's zone {tz}: the "
            "offset must be between -23:59 and +23:59 and the date well inside years 1..9999"
        ) from None
    return parsed


def _cmd_deadline(args: argparse.Namespace, out: TextIO) -> int:
    cal = _calendar(args.province)
    start = _parse_start(args.start, cal.tz)
    local = start.in_timezone(cal.tz)
    # compute everything first: an error must not leave half an answer on the screen
    # the amount in words comes from the catalog's plural forms ("1 working day")
    messages = Messages.default()
    if args.working_days is not None:
        due = cal.close_of_business(cal.add_working_days(local.date(), args.working_days))
        unit = messages.render("unit.working_days", "en", count=args.working_days)
    else:
        due = cal.add_working_time(start, _dt.timedelta(hours=args.working_hours))
        hours = args.working_hours
        # a plural form takes a whole count; a fraction of an hour is plural in English
        unit = (
            messages.render("unit.working_hours", "en", count=int(hours))
            if hours == int(hours)
            else f"{hours:g} working hours"
        )
    # the whole span from the start day to the deadline, with the decree that settles it
    reason = cal.provisional_reason(local.date(), due)
    out.write(f"start  {_fmt_instant(local, cal.tz)}\n")
    out.write(f"due    {_fmt_instant(due, cal.tz)}  ({unit})\n")
    if reason:
        out.write(f"note   provisional: {reason}\n")
    return 0


_WORKFLOWS: Mapping[str, Callable[[], Workflow]] = MappingProxyType(
    {
        "complaint": complaint_workflow,
        "repatriation": repatriation_workflow,
        "outreach": outreach_workflow,
    }
)


def _workflow(name_or_file: str) -> Workflow:
    """A standard workflow by name, or a definition read from a TOML / JSON file."""
    make = _WORKFLOWS.get(name_or_file)
    if make is not None:
        return make()
    if not name_or_file.endswith((".toml", ".json")):
        raise argparse.ArgumentTypeError(
            f"{name_or_file!r} is neither a standard workflow ({', '.join(sorted(_WORKFLOWS))}) "
            "nor a .toml / .json definition file"
        )
    return load_workflow(name_or_file).build()


def _catalog_dirs(directory: str | None, option: str) -> list[str]:
    """The caller's catalog folder as a list, refusing an empty path.

    An empty path is what an unset variable gives (`catalog check "$DIR"`); checking
    only migrantcare's own catalogs then would pass a CI job that checked nothing.
    """
    if directory is None:
        return []
    if not directory.strip():
        raise argparse.ArgumentTypeError(
            f"{option} is empty ({directory!r}); give your catalog folder, or leave the "
            "argument out to check only migrantcare's catalogs"
        )
    return [directory]


def _messages(directory: str | None, option: str = "--catalog") -> Messages:
    return Messages.from_directories(default_directory(), *_catalog_dirs(directory, option))


def _cmd_workflow_check(args: argparse.Namespace, out: TextIO) -> int:
    if not args.file:
        raise argparse.ArgumentTypeError("usage: migrantcare workflow check FILE [--catalog DIR]")
    wf = _workflow(args.file)  # reads, validates the definition and its reachability
    messages = _messages(args.catalog)
    problems = wf.check_messages(messages)
    if problems:
        out.write(
            f"migrantcare workflow check: error: {len(problems)} problem(s) with the notices "
            f"of {wf.name} v{wf.version} ({args.file}):\n{format_problems(problems)}\n"
        )
        return 2
    out.write(
        f"ok: {wf.name} v{wf.version} ({args.file}): {len(wf.states)} states, all reachable; "
        f"{len(wf.spec.notices)} notices render in {', '.join(messages.locales)}\n"
    )
    return 0


def _cmd_workflow(args: argparse.Namespace, out: TextIO) -> int:
    if args.name == "check":
        return _cmd_workflow_check(args, out)
    if args.file:
        raise argparse.ArgumentTypeError(
            f"unexpected {args.file!r}; use 'workflow NAME_OR_FILE' or 'workflow check FILE'"
        )
    wf = _workflow(args.name)
    if args.mermaid:
        out.write(wf.mermaid(lang=args.lang) + "\n")
        return 0
    if args.format:
        out.write(dump_workflow(wf.spec, args.format))
        return 0
    out.write(f"{wf.name} v{wf.version}: {wf.spec.description}\n\n")
    width = max(len(s.id) for s in wf.states)
    for state in wf.states:
        _write_state(wf, state, width, args.lang, out)
    return 0


def _write_state(wf: Workflow, state: State, width: int, lang: str, out: TextIO) -> None:
    """One state of ``wf`` (``*`` marks the initial one), then its events, one a line."""
    flags = [f for f, on in (("terminal", state.terminal), ("waiting", state.waiting)) if on]
    mark = "*" if state.id == wf.spec.initial else " "
    extra = f"  [{', '.join(flags)}]" if flags else ""
    out.write(f"{mark} {state.id:<{width}}  {state.label(lang)}{extra}\n")
    for trigger in wf.allowed_events(state.id):
        dest = wf.destination(state.id, trigger)
        arrow = "(stays)" if dest == state.id else f"-> {dest}"
        out.write(f"    {trigger} {arrow}\n")


def _cmd_catalog(args: argparse.Namespace, out: TextIO) -> int:
    if args.action != "check":
        raise argparse.ArgumentTypeError(f"unknown catalog action {args.action!r}; use 'check'")
    dirs = _catalog_dirs(args.dir, "the catalog folder")
    workflows = [_workflow(w) for w in args.workflow or ()]
    problems = check_catalogs(*dirs)
    where = f"{args.dir} over migrantcare's catalogs" if args.dir else "migrantcare's catalogs"
    if not problems:
        problems = _notice_problems(workflows, args.dir)
    if problems:
        out.write(f"{len(problems)} problem(s) in {where}:\n{format_problems(problems)}\n")
        return 1
    locales = Messages.from_directories(default_directory(), *dirs).locales
    checked = f"; notices of {', '.join(w.name for w in workflows)} render" if workflows else ""
    out.write(f"ok: {where} ({', '.join(locales)}) are complete and consistent{checked}\n")
    return 0


def _notice_problems(workflows: list[Workflow], directory: str | None) -> list[CatalogProblem]:
    """What keeps the notices of ``workflows`` from rendering with the catalogs."""
    if not workflows:
        return []
    messages = _messages(directory, "the catalog folder")
    return [p for wf in workflows for p in wf.check_messages(messages)]


def _cmd_db(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from migrantcare.sql._migrations import cmd_db  # noqa: PLC0415 - the sql extra
    except ImportError:
        raise InvalidArgumentError(
            'db needs the sql extra (SQLAlchemy and Alembic): pip install "migrantcare[sql]" '
            "and a driver"
        ) from None
    return cmd_db(args, out)


def _cmd_worker(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from migrantcare.sql._worker import cmd_worker  # noqa: PLC0415 - the sql extra
    except ImportError:
        raise InvalidArgumentError(
            'the worker needs the sql extra: pip install "migrantcare[sql]" and a driver'
        ) from None
    return cmd_worker(args, out, sys.stderr)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``migrantcare`` command."""
    parser = _Parser(
        prog="migrantcare",
        description="Migrant-worker protection cases on an Indonesian working calendar.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run a worked example and print its timeline")
    demo.set_defaults(func=_cmd_demo)

    cal = sub.add_parser("calendar", help="list a year's holidays and cuti bersama")
    cal.add_argument("year", type=_year, help="the year, e.g. 2026")
    cal.add_argument("--province", help="office province (sets the time zone)")
    cal.add_argument("--lang", choices=("id", "en"), default="id", help="language of names")
    cal.add_argument(
        "--ics", action="store_true", help="print an iCalendar (.ics) file to import instead"
    )
    cal.set_defaults(func=_cmd_calendar)

    dl = sub.add_parser("deadline", help="compute a deadline on the working calendar")
    dl.add_argument("start", help="ISO 8601 start, e.g. 2026-03-19T22:15+08:00")
    unit = dl.add_mutually_exclusive_group(required=True)
    unit.add_argument(
        "--working-days", type=_working_days, help="due at close of business of day N (N >= 1)"
    )
    unit.add_argument(
        "--working-hours", type=_working_hours, help="hours of working time (positive)"
    )
    dl.add_argument("--province", help="office province (sets the time zone)")
    dl.set_defaults(func=_cmd_deadline)

    wf = sub.add_parser(
        "workflow",
        help="describe a workflow, or check a definition file",
        description="Describe a standard workflow or one read from a .toml / .json definition "
        "file; 'workflow check FILE' validates a definition (exit 0 when sound, 2 otherwise).",
    )
    wf.add_argument(
        "name",
        metavar="NAME_OR_FILE",
        help=f"{', '.join(sorted(_WORKFLOWS))}, a definition file, or 'check'",
    )
    wf.add_argument("file", nargs="?", metavar="FILE", help="with 'check': the definition file")
    show = wf.add_mutually_exclusive_group()
    show.add_argument("--mermaid", action="store_true", help="print a Mermaid state diagram")
    show.add_argument(
        "--toml",
        dest="format",
        action="store_const",
        const="toml",
        help="print the definition as a TOML document",
    )
    show.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="print the definition as a JSON document",
    )
    wf.add_argument("--lang", choices=("id", "en"), default="en", help="language of labels")
    wf.add_argument("--catalog", metavar="DIR", help="with 'check': your catalogs, over ours")
    wf.set_defaults(func=_cmd_workflow)

    cat = sub.add_parser("catalog", help="check message catalogs")
    cat.add_argument("action", choices=("check",), help="what to do")
    cat.add_argument("dir", nargs="?", help="your catalog folder, layered over ours")
    cat.add_argument(
        "--workflow",
        action="append",
        metavar="NAME_OR_FILE",
        help="also check that this workflow's notices render (repeatable)",
    )
    cat.set_defaults(func=_cmd_catalog)

    work = sub.add_parser(
        "worker",
        help="run the SLA sweep loop on a SQL store",
        description="Sweep the cases whose SLA marks are due (warnings, breaches, "
        "escalations) and write their notices to the outbox, then sleep until the next "
        "is due. Several workers may run at once. Stops cleanly on SIGTERM.",
    )
    work.add_argument("--db", required=True, metavar="URL", help="SQLAlchemy database URL")
    work.add_argument(
        # not required by the parser: --check reads the database only
        "--offices",
        metavar="FILE",
        help="the offices file (TOML or JSON); required to sweep, not needed with --check",
    )
    work.add_argument("--once", action="store_true", help="sweep what is due now, then exit")
    work.add_argument("--batch", type=int, default=100, metavar="N", help="cases per transaction")
    work.add_argument(
        "--max-sleep",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="the longest sleep between sweeps (default 60)",
    )
    work.add_argument(
        "--metrics-port",
        type=int,
        metavar="N",
        help="serve OpenMetrics text at http://HOST:N/metrics while sweeping",
    )
    work.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address the metrics are served on (default 127.0.0.1)",
    )
    work.add_argument(
        "--check",
        action="store_true",
        help="check the database, its schema version and the sweep lag, then exit: "
        "0 healthy, 1 not (for orchestrators)",
    )
    work.add_argument(
        "--max-lag",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="with --check: the largest sweep lag that is healthy (default 300)",
    )
    work.set_defaults(func=_cmd_worker)
    _add_db_parser(sub)
    add_report_parser(sub)
    add_audit_parser(sub)
    return parser


def _add_db_parser(sub: argparse._SubParsersAction[Any]) -> None:
    db = sub.add_parser(
        "db",
        help="upgrade the SQL store's tables, or show their schema version",
        description="'db upgrade' brings the store's tables to the newest revision "
        "with the package's Alembic migrations (creating them and the outbox of notices on "
        "an empty database); 'db current' prints the schema version and revision and exits "
        "0 when they are the newest, 1 otherwise.",
    )
    db.add_argument("action", choices=("upgrade", "current"), help="what to do")
    db.add_argument("--db", required=True, metavar="URL", help="SQLAlchemy database URL")
    db.add_argument("--to", default="head", metavar="REV", help="upgrade: the revision to reach")
    db.add_argument("--prefix", default="", help="the tables' name prefix (case_tables)")
    db.add_argument("--schema", default=None, help="the tables' database schema")
    db.set_defaults(func=_cmd_db)


#: The exit status when standard output's reader goes away (128 + SIGPIPE, as a shell says).
_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line with ``argv`` and return the exit status.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when omitted.
        out: Where to write the output; standard output when omitted.
    """
    stream = out if out is not None else sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args, stream)
        stream.flush()  # a closed pipe shows here, not at the interpreter's exit
    except (MigrantCareError, argparse.ArgumentTypeError) as exc:
        sys.stderr.write(f"migrantcare {args.command}: error: {_one_line(exc)}\n")
        return 2
    except BrokenPipeError:
        # The reader stopped reading (`migrantcare demo | head`): nothing of ours went
        # wrong. Standard output is pointed at the null device so that the interpreter's
        # last flush at exit does not fail on the closed pipe too (the recipe of Python's
        # signal module docs); the status is a shell's for a process ended by SIGPIPE.
        if out is None:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        return _BROKEN_PIPE
    except Exception as exc:  # the last line of defence: never a traceback
        sys.stderr.write(
            f"migrantcare {args.command}: error: unexpected {type(exc).__name__}: "
            f"{_one_line(exc)} (please report this)\n"
        )
        return 2
    return status


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 500 else text[:500] + "…"
