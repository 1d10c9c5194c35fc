"""The office performance report: one self-contained bilingual HTML file, and CSV.

The page needs nothing outside itself: inline CSS, inline SVG charts, no script, no
font, no image; its content security policy forbids loading anything else, so it works
from a USB stick or an intranet with no internet. Every chart has its numbers in a table
next to it, and every table downloads as CSV (a ``data:`` link, no server).
Every value that comes from the cases (office names, codes, attributes) is escaped.
"""

from __future__ import annotations

import base64
import csv
import datetime as _dt
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from html import escape
from types import MappingProxyType
from typing import Final

import attrs
from babel.dates import format_date
from babel.numbers import format_decimal

from migrantcare._time import zone
from migrantcare._vocab import CATEGORIES, CHANNELS, OUTREACH_CATEGORIES, Vocabulary
from migrantcare.calendar._regions import ZONE_ABBREVIATIONS
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError
from migrantcare.reports._performance import (
    ALL_OFFICES,
    ChannelFigures,
    Count,
    GoalCount,
    MonthRow,
    OfficePerformance,
    OutreachRow,
    PerformanceFigures,
    Spread,
)

Cell = str | int | float | None
_DASH: Final = "\u2013"  # an en dash: "no value"

_GOALS: Final = MappingProxyType(
    {
        "first_response": ("Tanggapan pertama", "First response"),
        "verification": ("Verifikasi", "Verification"),
        "documents": ("Kelengkapan dokumen", "Documents complete"),
        "clarity": ("Kejelasan dari pengadu", "Clarity from the complainant"),
        "unreachable": ("Kontak dengan pengadu", "Contact with the complainant"),
        "settlement": ("Pemenuhan kesepakatan", "Settlement fulfilled"),
        "resolution": ("Penyelesaian", "Resolution"),
    }
)
_PALETTE: Final = ("#0f766e", "#b45309", "#1d4ed8", "#be123c", "#6d28d9", "#15803d", "#475569")
_CSS: Final = """
:root{--ink:#1f2933;--muted:#52606d;--line:#cbd2d9;--bg:#f5f7fa;--accent:#0f766e;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:var(--bg)}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 1rem}
header{padding-top:1.5rem}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:2px solid var(--accent);padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
p.what{color:var(--muted);margin:.2rem 0 .6rem;max-width:75ch}
.meta{color:var(--muted);margin:.2rem 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:.75rem;
margin:1rem 0}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem}
.card .n{font-size:1.6rem;font-weight:600}
.card .l{color:var(--muted);font-size:.9rem}
section.fig{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.6rem 1rem 1rem;
margin:1rem 0}
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border-bottom:1px solid var(--line);padding:.25rem .6rem;text-align:right}
th[scope=row],td.t,th.t{text-align:left}
thead th{background:#e4e7eb}
.scroll{overflow-x:auto}
.flag{color:var(--bad);font-weight:600}
a.csv{font-size:.85rem}
svg{max-width:100%;height:auto;display:block;margin:.4rem 0}
svg text{font:12px system-ui,sans-serif;fill:#1f2933}
nav ul{columns:2;padding-left:1.2rem}
footer{color:var(--muted);font-size:.85rem;padding:2rem 1rem}
@media print{section.fig{break-inside:avoid}a.csv{display:none}}
"""
_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


# --------------------------------------------------------------------------- words


def _t(lang: str, id_text: str, en_text: str) -> str:
    return en_text if lang == "en" else id_text


def _goal(code: str, lang: str) -> str:
    names = _GOALS.get(code)
    return code if names is None else _t(lang, *names)


_UNITS_ID: Final = (
    (" working days", " hari kerja"),
    (" working day", " hari kerja"),
    (" working hours", " jam kerja"),
    (" working hour", " jam kerja"),
    (" working minutes", " menit kerja"),
    (" days", " hari"),
    (" day", " hari"),
    (" hours", " jam"),
    (" hour", " jam"),
    (" minutes", " menit"),
)


def _target(text: str, lang: str) -> str:
    """A target in words (``SlaTarget.describe``, English) in ``lang``."""
    if lang == "en":
        return text
    for en, id_ in _UNITS_ID:
        if text.endswith(en):
            return text[: -len(en)].replace(".", ",") + id_
    return text


#: The sources of migrantcare's own SLA policies, in Indonesian (citations of Indonesian
#: regulations read the same in both languages); an integrator's text is shown as written.
_SOURCES_ID: Final = MappingProxyType(
    {
        "migrantcare default (crisis center answers 24/7); not regulation": (
            "bawaan migrantcare (crisis center melayani 24 jam); bukan peraturan"
        ),
        "migrantcare default; not regulation": "bawaan migrantcare; bukan peraturan",
        "SP4N-LAPOR! official FAQ: verified and dispatched within 3 working days": (
            "FAQ resmi SP4N-LAPOR!: diverifikasi dan diteruskan dalam 3 hari kerja"
        ),
        "Peraturan KP2MI 23/2025 Pasal 18 (unit of the 7 days unconfirmed)": (
            "Peraturan KP2MI 23/2025 Pasal 18 (satuan 7 hari belum dipastikan)"
        ),
        "local service standard (others <= 14 working days); not regulation": (
            "standar layanan setempat (kantor lain <= 14 hari kerja); bukan peraturan"
        ),
    }
)
#: A source's kind (``SlaPolicy.basis``) in words: (Indonesian, English).
_BASES: Final = MappingProxyType(
    {
        "regulation": ("peraturan", "regulation"),
        "guidance": ("pedoman resmi", "official guidance"),
        "default": ("bawaan migrantcare / belum pasti", "migrantcare default / unconfirmed"),
    }
)
#: Bidirectional classes that can reorder the text around them: right-to-left letters
#: and the explicit embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_BIDI_CLASSES: Final = frozenset(
    {"R", "AL", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}
)


def _source(text: str, lang: str) -> str:
    """An SLA policy's source in ``lang`` (migrantcare's own policies are translated)."""
    return text if lang == "en" else _SOURCES_ID.get(text, text)


def _needs_isolation(text: str) -> bool:
    return not text.isascii() and any(unicodedata.bidirectional(ch) in _BIDI_CLASSES for ch in text)


def _isolated(text: str) -> str:
    """``text`` isolated (U+2068 ... U+2069) when it could reorder its line.

    For a right-to-left name or a stray U+202E, in SVG text and CSV cells, where
    ``<bdi>`` does not exist. The closing PDI also ends any override left open inside.
    """
    return f"\u2068{text}\u2069" if _needs_isolation(text) else text


def _bdi(text: str) -> str:
    """``text`` escaped for HTML, in ``<bdi>`` when it could reorder its line."""
    return f"<bdi>{escape(text)}</bdi>" if _needs_isolation(text) else escape(text)


def _term(vocab: Vocabulary, code: str, lang: str) -> str:
    return vocab.label(code, lang) if code in vocab else code


def _num(value: float | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return _DASH
    pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return str(format_decimal(value, format=pattern, locale=lang))


def _pct(value: float | None, lang: str) -> str:
    return _DASH if value is None else f"{_num(value, lang, 1)} %"


def _hours(value: _dt.timedelta | None, lang: str) -> str:
    if value is None:
        return _DASH
    return f"{_num(value / _dt.timedelta(hours=1), lang, 1)} {_t(lang, 'jam', 'h')}"


def _day(value: _dt.date, lang: str) -> str:
    return str(format_date(value, "d MMM y", locale=lang))


def _month(value: _dt.date, lang: str) -> str:
    return str(format_date(value, "MMM y", locale=lang))


def _instant(value: _dt.datetime, tz: str, lang: str) -> str:
    local = value.astimezone(zone(tz))
    label = ZONE_ABBREVIATIONS.get(tz, tz)
    return f"{_day(local.date(), lang)} {local:%H:%M} {label}"


# --------------------------------------------------------------------------- CSV


def _csv_safe(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    # a cell starting with = + - @ is a formula to a spreadsheet: neutralise it
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not isinstance(value, int):
        return "'" + text
    return text


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
    return buffer.getvalue()


def _td(value: _dt.timedelta | None) -> float | None:
    return None if value is None else round(value / _dt.timedelta(hours=1), 2)


CSV_HEADER: Final = ("figure", "office", "key", "measure", "value")


def csv_rows(
    figures: PerformanceFigures, lang: str = "en"
) -> Iterator[tuple[str, str, str, str, Cell]]:
    """Every figure as a long-format row ``(figure, office, key, measure, value)``.

    ``office`` is ``"*"`` for all offices; times are working hours; percentages are
    0-100; ``None`` is an empty cell. Codes stay codes; the words of a goal's target and
    source are in ``lang`` (``"2 jam"`` in Indonesian).
    """
    yield from _source_rows(figures, lang)
    for o in (figures.total, *figures.offices):
        yield from _office_rows(o)
    yield from _ranking_rows(figures)
    yield from _outreach_rows(figures)


Row = tuple[str, str, str, str, Cell]


def _source_rows(figures: PerformanceFigures, lang: str) -> Iterator[Row]:
    """Where each goal's target comes from, its words in ``lang``."""
    for src in figures.goal_sources:
        key = f"{src.goal}/{src.variant}"
        yield ("goal_source", "", key, "target", _target(src.target, lang))
        yield ("goal_source", "", key, "source", _isolated(_source(src.source, lang)))
        yield ("goal_source", "", key, "confirmed", int(src.confirmed))
        yield ("goal_source", "", key, "basis", src.basis)


def _ranking_rows(figures: PerformanceFigures) -> Iterator[Row]:
    for r in figures.ranking:
        yield ("ranking", r.office, "", "rank", r.rank)
        yield ("ranking", r.office, "", "opened", r.opened)
        yield ("ranking", r.office, "", "met", r.met)
        yield ("ranking", r.office, "", "breached", r.breached)
        yield ("ranking", r.office, "", "compliance_pct", r.compliance)
        yield ("ranking", r.office, "", "wilson_lower_pct", r.wilson_lower)
        yield ("ranking", r.office, "", "breaches_per_100", r.breaches_per_100)


def _outreach_rows(figures: PerformanceFigures) -> Iterator[Row]:
    for row in figures.outreach:
        key = f"{row.province}/{row.category}"
        for measure in ("planned", "held", "cancelled", "participants", "villages"):
            yield ("outreach", "", key, measure, getattr(row, measure))


def _office_rows(o: OfficePerformance) -> Iterator[Row]:
    office = o.office
    yield ("opened", office, "", "count", o.opened)
    yield ("open_now", office, "", "count", o.open_now)
    for b in o.backlog:
        yield ("backlog", office, b.label, "count", b.count)
    yield from _goal_rows(o)
    yield from _spread_rows(o)
    yield from _breach_rows(o)
    yield from _channel_rows(o)
    yield ("transfers", office, "", "in", o.transfers_in)
    yield ("transfers", office, "", "out", o.transfers_out)


def _spread_rows(o: OfficePerformance) -> Iterator[Row]:
    """How long first responses and resolutions took (count, median, 90th percentile)."""
    for name, s in (("first_response", o.first_response), ("resolution", o.resolution)):
        yield (name, o.office, "", "count", s.count)
        yield (name, o.office, "", "median_hours", _td(s.median))
        yield (name, o.office, "", "p90_hours", _td(s.p90))


def _breach_rows(o: OfficePerformance) -> Iterator[Row]:
    """Breaches by the case's category, then by its channel."""
    for figure, counts in (
        ("breaches_by_category", o.breaches_by_category),
        ("breaches_by_channel", o.breaches_by_channel),
    ):
        for c in counts:
            yield (figure, o.office, c.code, "count", c.count)


def _channel_rows(o: OfficePerformance) -> Iterator[Row]:
    for ch in o.channels:
        for measure, value in _channel_measures(ch):
            yield ("channel", o.office, ch.channel, measure, value)


def _goal_rows(o: OfficePerformance) -> Iterator[Row]:
    """The goals' outcomes over the period, then month by month."""
    office = o.office
    for g in o.goals:
        yield ("goal", office, g.goal, "met", g.met)
        yield ("goal", office, g.goal, "breached", g.breached)
        yield ("goal", office, g.goal, "pending", g.pending)
        yield ("goal", office, g.goal, "provisional", g.provisional)
        yield ("goal", office, g.goal, "compliance_pct", g.compliance)
    for m in o.months:
        month = m.month.strftime("%Y-%m")
        yield ("month", office, month, "opened", m.opened)
        for g in m.goals:
            yield ("month_goal", office, f"{month}/{g.goal}", "met", g.met)
            yield ("month_goal", office, f"{month}/{g.goal}", "breached", g.breached)


def _channel_measures(ch: ChannelFigures) -> tuple[tuple[str, Cell], ...]:
    return (
        ("opened", ch.opened),
        ("responded", ch.responded),
        ("unanswered", ch.unanswered),
        ("open_now", ch.open_now),
        ("median_hours", _td(ch.first_response.median)),
        ("p90_hours", _td(ch.first_response.p90)),
        ("met", ch.met),
        ("breached", ch.breached),
        ("clogged", int(ch.clogged)),
    )


def figures_to_csv(figures: PerformanceFigures, *, lang: str = "en") -> str:
    """All the figures as one CSV text (long format; see :func:`csv_rows`).

    Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``)
    are prefixed with ``'``.

    Args:
        figures: From :func:`performance_figures`.
        lang: ``"en"`` or ``"id"``: the language of the goals' targets and sources (the
            report's language); every other cell is a code or a number.

    Raises:
        WrongTypeError: ``figures`` is not :class:`PerformanceFigures`.
        InvalidArgumentError: ``lang`` is neither ``"id"`` nor ``"en"``.
    """
    return _csv_text(CSV_HEADER, csv_rows(_checked(figures, lang), lang))


def _checked(figures: object, lang: str) -> PerformanceFigures:
    """``figures``, once it and ``lang`` are checked (for the public entry points)."""
    if not isinstance(figures, PerformanceFigures):
        raise WrongTypeError(
            f"figures must be PerformanceFigures (from performance_figures), got "
            f"{type(figures).__name__}"
        )
    if lang not in ("id", "en"):
        raise InvalidArgumentError(f"lang must be 'id' or 'en', got {lang!r}")
    return figures


# --------------------------------------------------------------------------- HTML parts


class _Table:
    """A table shown as HTML and offered as CSV, from the same rows."""

    def __init__(  # noqa: PLR0917 - one table, every part named at the call
        self,
        caption: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        shown: Sequence[Sequence[str]],
        filename: str,
        csv_header: Sequence[str] | None = None,
    ) -> None:
        self.caption, self.header, self.rows, self.shown = caption, header, rows, shown
        self.filename = filename
        self.csv_header = header if csv_header is None else csv_header

    def html(self, lang: str) -> str:
        text = self._text_columns()
        head = "".join(
            f'<th scope="col"{" class=t" if i == 0 or i in text else ""}>{escape(h)}</th>'
            for i, h in enumerate(self.header)
        )
        body = "".join(_body_row(row, text) for row in self.shown)
        data = base64.b64encode(
            ("\ufeff" + _csv_text(self.csv_header, self.rows)).encode("utf-8")
        ).decode("ascii")
        link = _t(lang, "Unduh CSV", "Download CSV")
        return (
            f'<div class="scroll"><table><caption>{escape(self.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
            f'<a class="csv" download="{escape(self.filename)}" '
            f'href="data:text/csv;charset=utf-8;base64,{data}">{link}: '
            f"{escape(self.filename)}</a>"
        )

    def _text_columns(self) -> set[int]:
        # text columns read left-aligned, numbers right-aligned
        if not self.rows:
            return set()
        return {j for j in range(1, len(self.header)) if _all_text(self.rows, j)}


def _all_text(rows: Sequence[Sequence[Cell]], j: int) -> bool:
    """Whether column ``j`` holds text in every row that has it."""
    return all(isinstance(r[j], str) for r in rows if j < len(r))


def _body_row(row: Sequence[str], text: set[int]) -> str:
    first, *rest = row
    cells = "".join(f"<td{' class=t' if j in text else ''}>{c}</td>" for j, c in enumerate(rest, 1))
    return f'<tr><th scope="row">{first}</th>{cells}</tr>'


def _goal_in(month: MonthRow, goal: str) -> GoalCount:
    return next(x for x in month.goals if x.goal == goal)


def _month_row(month: MonthRow, goals: Sequence[str]) -> list[Cell]:
    """A month of the trend for the CSV: month, opened, then met and breached per goal."""
    row: list[Cell] = [month.month.strftime("%Y-%m"), month.opened]
    for goal in goals:
        g = _goal_in(month, goal)
        row += [g.met, g.breached]
    return row


def _month_cells(month: MonthRow, goals: Sequence[str], lang: str) -> list[str]:
    """The same month as shown (escaped, numbers formatted in ``lang``)."""
    cells = [escape(_month(month.month, lang)), _num(month.opened, lang)]
    for goal in goals:
        g = _goal_in(month, goal)
        cells += [_num(g.met, lang), _num(g.breached, lang)]
    return cells


def _svg_open(width: int, height: int, title: str, desc: str, uid: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(desc)}</desc>'
    )


def _bar_chart(
    uid: str,
    title: str,
    bars: Sequence[tuple[str, float | None, str]],
    *,
    scale: float | None,
    muted: frozenset[int] = frozenset(),
) -> str:
    """Horizontal bars: (label, value, value as text). ``scale`` is the full width value.

    Bars whose position is in ``muted`` are grey (figures shown for context).
    """
    label_w, bar_w, row_h = 250, 400, 22
    height = row_h * len(bars) + 10
    top = scale if scale else _largest(bars)
    parts = [_svg_open(label_w + bar_w + 90, height, title, _desc(bars), uid)]
    for i, (label, value, text) in enumerate(bars):
        y = 5 + i * row_h
        width = _bar_width(value, top, bar_w)
        color = "#9aa5b1" if i in muted else _PALETTE[0]
        short = _isolated(_shortened(label, 36))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" '
            f'fill="{color}"></rect>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + 15}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _largest(bars: Sequence[tuple[str, float | None, str]]) -> float:
    """The full width of bars drawn to no given scale: the largest value (never 0)."""
    return max([v or 0.0 for _, v, _ in bars] + [1e-9])


def _bar_width(value: float | None, top: float, full: int) -> float:
    """How wide a bar of ``value`` is drawn when ``top`` is ``full`` wide (capped there)."""
    if value is None or top <= 0:
        return 0.0
    return full * min(value, top) / top


def _shortened(label: str, most: int) -> str:
    """``label`` cut to ``most`` characters, an ellipsis last, when it is longer."""
    return label if len(label) <= most else label[: most - 1] + "\u2026"


def _desc(bars: Sequence[tuple[str, float | None, str]]) -> str:
    return "; ".join(f"{_isolated(label)}: {text}" for label, _, text in bars)


def _line_chart(
    uid: str,
    title: str,
    months: Sequence[tuple[str, str, str]],
    series: Sequence[tuple[str, Sequence[float | None]]],
    lang: str,
) -> str:
    """Monthly lines on a 0-100 % axis; a gap where a month has no outcome.

    ``months`` are (tick label, full label, year label or "") triples.
    """
    left, top, w, h = 44, 12, 640, 200
    n = max(len(months), 1)
    plot = _Plot(left, top, w, h, step=w / max(n - 1, 1))
    height = top + h + 54 + 18 * len(series)
    parts = [
        _svg_open(left + w + 30, height, title, _line_desc(months, series, lang), uid),
        plot.grid(),
        plot.ticks(months),
    ]
    parts += [plot.line(k, name, values) for k, (name, values) in enumerate(series)]
    parts.append("</svg>")
    return "".join(parts)


def _line_desc(
    months: Sequence[tuple[str, str, str]],
    series: Sequence[tuple[str, Sequence[float | None]]],
    lang: str,
) -> str:
    """The numbers of a line chart in words, for screen readers."""
    return "; ".join(
        f"{name}: "
        + ", ".join(f"{m[1]} {_pct(v, lang)}" for m, v in zip(months, values, strict=True))
        for name, values in series
    )


@attrs.frozen
class _Plot:
    """Where a line chart draws: 0-100 % upwards over ``h``, a month every ``step``."""

    left: int
    top: int
    w: int
    h: int
    step: float

    def x(self, i: int) -> float:
        return self.left + i * self.step

    def y(self, pct: float) -> float:
        return self.top + self.h - self.h * pct / 100

    def grid(self) -> str:
        """The horizontal lines of 0, 25, 50, 75 and 100 %, labelled."""
        parts = []
        for pct in (0, 25, 50, 75, 100):
            y = self.y(pct)
            parts.append(
                f'<line x1="{self.left}" x2="{self.left + self.w}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#cbd2d9"></line>'
                f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>'
            )
        return "".join(parts)

    def ticks(self, months: Sequence[tuple[str, str, str]]) -> str:
        """Each month's tick label, and the year under January (and the first month)."""
        bottom = self.top + self.h
        parts = []
        for i, (tick, _, year) in enumerate(months):
            x = self.x(i)
            parts.append(
                f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{escape(tick)}</text>'
                f'<text x="{x:.1f}" y="{bottom + 30}" text-anchor="middle">{escape(year)}</text>'
            )
        return "".join(parts)

    def line(self, k: int, name: str, values: Sequence[float | None]) -> str:
        """Series ``k``: a dot per month with a value, lines between them, its legend."""
        color = _PALETTE[k % len(_PALETTE)]
        points = [None if v is None else (self.x(i), self.y(v)) for i, v in enumerate(values)]
        dots = "".join(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"></circle>'
            for x, y in _known(points)
        )
        ly = self.top + self.h + 48 + 18 * k
        return (
            dots
            + _polylines(points, color)
            + f'<rect x="{self.left}" y="{ly - 10}" width="14" height="4" fill="{color}"></rect>'
            f'<text x="{self.left + 20}" y="{ly - 4}">{escape(name)}</text>'
        )


Point = tuple[float, float]


def _known(points: Sequence[Point | None]) -> list[Point]:
    """The points of the months that have a value (each drawn as a dot)."""
    return [p for p in points if p is not None]


def _polylines(points: Sequence[Point | None], color: str) -> str:
    """A line through each run of points; a month without a value breaks the line."""
    runs: list[list[str]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(f"{point[0]:.1f},{point[1]:.1f}")
    return "".join(
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
        'stroke-width="2"></polyline>'
        for run in runs
        if len(run) > 1
    )


def _section(anchor: str, title: str, what: str, *body: str) -> str:
    return (
        f'<section class="fig" id="{escape(anchor)}" aria-labelledby="{escape(anchor)}-h">'
        f'<h3 id="{escape(anchor)}-h">{escape(title)}</h3><p class="what">{escape(what)}</p>'
        f"{''.join(body)}</section>"
    )


# --------------------------------------------------------------------------- report


def _slug(office: str) -> str:
    """A file-name and id-safe form of an office id (``*`` is all offices)."""
    if office == ALL_OFFICES:
        return "all-offices"
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in office)


def _office_label(o: OfficePerformance, lang: str) -> str:
    return o.name(lang) if o.office != ALL_OFFICES else _t(lang, "Semua kantor", "All offices")


def _spread_cells(s: Spread, lang: str) -> list[str]:
    return [_num(s.count, lang), _hours(s.median, lang), _hours(s.p90, lang)]


class _Report:
    def __init__(self, figures: PerformanceFigures, lang: str) -> None:
        self.f, self.lang = figures, lang
        self.months = [
            (
                str(format_date(m.month, "MMM", locale=lang)),
                _month(m.month, lang),
                str(m.month.year) if i == 0 or m.month.month == 1 else "",
            )
            for i, m in enumerate(figures.total.months)
        ]

    def t(self, id_text: str, en_text: str) -> str:
        return _t(self.lang, id_text, en_text)

    def unsettled(self, o: OfficePerformance) -> str:
        """The note on deadlines that rest on holiday data not settled yet ("" if none)."""
        n = o.provisional
        if not n:
            return ""
        lang = self.lang
        reason = self.f.provisional_reason[0 if lang == "id" else 1]
        text = self.t(
            f"{_num(n, lang)} dari {_num(o.deadlines, lang)} batas waktu bertumpu pada data "
            "libur yang belum pasti (tanggal perkiraan, atau cuti bersama yang belum "
            "ditetapkan)" + (f": {reason}" if reason else "") + ". Batas waktu itu dapat "
            "bergeser bila keputusannya terbit; hitung ulang kasusnya saat itu "
            "(Workflow.recompute).",
            f"{_num(n, lang)} of {_num(o.deadlines, lang)} deadlines rest on holiday data not "
            "settled yet (estimated dates, or cuti bersama not decreed)"
            + (f": {reason}" if reason else "")
            + ". They may move when the decree appears; recompute the cases then "
            "(Workflow.recompute).",
        )
        return f'<p class="what"><span class="flag">{escape(text)}</span></p>'

    def service(self, o: OfficePerformance) -> list[GoalCount]:
        """The outcomes of ``o``'s service goals (those the ranking counts)."""
        return [g for g in o.goals if g.goal in self.f.service_goals]

    def service_goal_names(self) -> str:
        """The service goals, named in the report's language, as one text."""
        return ", ".join(_goal(g, self.lang) for g in self.f.service_goals)

    def cards(self, o: OfficePerformance) -> str:
        lang = self.lang
        items = (
            (_num(o.opened, lang),
             self.t("kasus dibuka dalam periode", "cases opened in the period")),
            (_num(o.open_now, lang), self.t("kasus masih terbuka", "cases still open")),
            (_hours(o.first_response.median, lang),
             self.t("median tanggapan pertama (jam kerja)",
                    "median first response (working hours)")),
            (_pct(_compliance(self.service(o)), lang),
             self.t("kepatuhan SLA layanan", "service SLA compliance")),
            (_num(o.transfers_in, lang) + " / " + _num(o.transfers_out, lang),
             self.t("pelimpahan masuk / keluar", "transfers in / out")),
        )  # fmt: skip
        return _cards(items)

    # ---------------------------------------------------------------- all offices

    def ranking(self) -> str:
        lang, f = self.lang, self.f
        names = {o.office: o.name(lang) for o in f.offices}
        chart = _bar_chart(
            "rank",
            self.t("Batas bawah Wilson kepatuhan SLA per kantor", "Wilson lower bound of SLA "
                   "compliance per office"),
            [(names.get(r.office, r.office), r.wilson_lower, _pct(r.wilson_lower, lang))
             for r in f.ranking],
            scale=100.0,
        )  # fmt: skip
        goals = self.service_goal_names()
        what = self.t(
            f"Kantor diurutkan menurut batas bawah interval Wilson 95 % dari kepatuhan SLA "
            f"layanan ({goals}): tepat waktu ÷ (tepat waktu + terlambat). Batas bawah ini "
            "adil terhadap volume: kantor dengan sedikit kasus tidak menjadi juara karena "
            "kebetulan, karena ketidakpastiannya lebih lebar. Angka di baliknya ada di tabel.",
            f"Offices ranked by the 95 % Wilson lower bound of their service SLA compliance "
            f"({goals}): met ÷ (met + breached). The bound is fair to volume: an office with "
            "few cases cannot top the ranking by luck, because its uncertainty is wider. The "
            "numbers behind it are in the table.",
        )
        return _section("ranking", self.t("Peringkat kantor", "Office ranking"), what,
                        chart, self.ranking_table(names).html(lang))  # fmt: skip

    def ranking_table(self, names: Mapping[str, str]) -> _Table:
        lang, f = self.lang, self.f
        rows = [
            (_isolated(names.get(r.office, r.office)), r.rank, r.opened, r.met, r.breached,
             r.compliance, r.wilson_lower, r.breaches_per_100, r.office)
            for r in f.ranking
        ]  # fmt: skip
        shown = [
            [
                _bdi(names.get(r.office, r.office)),
                _num(r.rank, lang),
                _num(r.opened, lang),
                _num(r.met, lang),
                _num(r.breached, lang),
                _pct(r.compliance, lang),
                _pct(r.wilson_lower, lang),
                _num(r.breaches_per_100, lang, 1),
            ]
            for r in f.ranking
        ]
        table = _Table(
            self.t("Peringkat kantor", "Office ranking"),
            [self.t("Kantor", "Office"), self.t("Peringkat", "Rank"),
             self.t("Kasus dibuka", "Cases opened"), self.t("Tepat waktu", "Met"),
             self.t("Terlambat", "Breached"), self.t("Kepatuhan", "Compliance"),
             self.t("Batas bawah Wilson 95 %", "Wilson 95 % lower bound"),
             self.t("Pelanggaran per 100 kasus", "Breaches per 100 cases")],
            rows,
            shown,
            "ranking.csv",
        )  # fmt: skip
        table.csv_header = [*table.header, "office_id"]
        return table

    def goals(self, o: OfficePerformance, uid: str) -> str:
        lang = self.lang
        chart = _bar_chart(
            f"{uid}-goals",
            self.t("Kepatuhan SLA per sasaran", "SLA compliance per goal"),
            [(_goal(g.goal, lang), g.compliance, _pct(g.compliance, lang)) for g in o.goals],
            scale=100.0,
            muted=self.context_goals(o),
        )
        what = self.t(
            "Jam SLA yang selesai dalam periode: tepat waktu bila berhenti sebelum tenggat, "
            "terlambat bila tenggat lewat (berhenti terlambat, atau masih berjalan). Dihitung "
            "untuk kantor yang memegang kasus pada saat itu. 'Berjalan': masih dalam tenggat "
            "pada saat laporan. Batang abu-abu: tenggat yang berjalan terhadap pengadu atau "
            "teradu, ditampilkan sebagai konteks (tidak masuk peringkat).",
            "SLA clocks decided in the period: met when stopped by the deadline, breached "
            "when the deadline passed (stopped late, or still running). Counted for the "
            "office holding the case at that moment. 'Pending': within the deadline when the "
            "report was taken. Grey bars: deadlines that run against the complainant or the "
            "respondent, shown for context (not in the ranking).",
        )
        return _section(f"{uid}-goals", self.t("SLA per sasaran", "SLA per goal"), what,
                        self.unsettled(o), chart, self.goals_table(o).html(lang))  # fmt: skip

    def context_goals(self, o: OfficePerformance) -> frozenset[int]:
        """The positions of ``o``'s goals that are no service goal (shown as context)."""
        return frozenset(i for i, g in enumerate(o.goals) if g.goal not in self.f.service_goals)

    def goals_table(self, o: OfficePerformance) -> _Table:
        lang = self.lang
        rows = [
            (g.goal, g.met, g.breached, g.pending, g.compliance, g.provisional) for g in o.goals
        ]
        shown = [
            [escape(_goal(g.goal, lang)), _num(g.met, lang), _num(g.breached, lang),
             _num(g.pending, lang), _pct(g.compliance, lang), _num(g.provisional, lang)]
            for g in o.goals
        ]  # fmt: skip
        return _Table(
            self.t("Capaian SLA per sasaran", "SLA outcomes per goal"),
            [self.t("Sasaran", "Goal"), self.t("Tepat waktu", "Met"),
             self.t("Terlambat", "Breached"), self.t("Berjalan", "Pending"),
             self.t("Kepatuhan", "Compliance"),
             self.t("Atas data libur sementara", "On provisional holiday data")],
            rows, shown, f"{_slug(o.office)}-sla-goals.csv",
        )  # fmt: skip

    def sources(self) -> str:
        lang = self.lang
        srcs = self.f.goal_sources
        # the download says what the table shows, in the table's language
        rows = [
            (_goal(s.goal, lang), s.variant, _target(s.target, lang),
             _isolated(_source(s.source, lang)), _t(lang, *_BASES[s.basis]))
            for s in srcs
        ]  # fmt: skip
        shown = [
            [escape(_goal(s.goal, lang)), escape(s.variant), escape(_target(s.target, lang)),
             _bdi(_source(s.source, lang)),
             escape(_t(lang, *_BASES[s.basis])) if s.basis != "default"
             else f'<span class="flag">{escape(_t(lang, *_BASES[s.basis]))}</span>']
            for s in srcs
        ]  # fmt: skip
        table = _Table(
            self.t("Sumber sasaran SLA", "Where the SLA targets come from"),
            [self.t("Sasaran", "Goal"), self.t("Varian", "Variant"), self.t("Target", "Target"),
             self.t("Sumber", "Source"), self.t("Dasar", "Basis")],
            rows, shown, "sla-sources.csv",
        )  # fmt: skip
        what = self.t(
            "Setiap sasaran menyebut sumbernya: peraturan, pedoman resmi (misalnya FAQ atau "
            "surat edaran pemerintah: sikap resmi, bukan hukum), atau nilai bawaan migrantcare "
            "yang dapat diubah (bukan hukum). Angka kepatuhan atas sasaran bawaan menilai "
            "standar layanan setempat, bukan kepatuhan terhadap peraturan.",
            "Each goal names its source: a regulation, official guidance (a government FAQ "
            "or circular: the government's word, not law), or a migrantcare default that can "
            "be configured (not law). Compliance with a default goal measures a local service "
            "standard, not compliance with a regulation.",
        )
        return _section("sources", self.t("Sumber SLA", "SLA sources"), what, table.html(lang))

    def trend(self, o: OfficePerformance, uid: str) -> str:
        lang = self.lang
        goals = self.service_goals_in(o)
        chart = _line_chart(
            f"{uid}-trend",
            self.t("Kepatuhan SLA layanan per bulan", "Service SLA compliance per month"),
            self.months,
            _trend_series(o, goals, lang),
            lang,
        )
        header = self.trend_header(goals)
        rows = [_month_row(m, goals) for m in o.months]
        shown = [_month_cells(m, goals, lang) for m in o.months]
        table = _Table(self.t("Tren per bulan", "Monthly trend"), header, rows, shown,
                       f"{_slug(o.office)}-monthly.csv")  # fmt: skip
        what = self.t(
            "Per bulan (zona waktu kantor): kasus dibuka, dan jam SLA layanan tepat waktu / "
            "terlambat pada bulan itu. Bulan tanpa hasil tidak bergaris.",
            "Per month (in the office's zone): cases opened, and service SLA clocks met / "
            "breached in that month. A month without outcomes leaves a gap in the line.",
        )
        return _section(f"{uid}-trend", self.t("Tren bulanan", "Monthly trend"), what, chart,
                        table.html(lang))  # fmt: skip

    def service_goals_in(self, o: OfficePerformance) -> list[str]:
        """The service goals ``o`` has outcomes of, in the figures' order."""
        held = {x.goal for x in o.goals}
        return [g for g in self.f.service_goals if g in held]

    def trend_header(self, goals: Sequence[str]) -> list[str]:
        """Month, opened, then met and breached per goal."""
        header = [self.t("Bulan", "Month"), self.t("Dibuka", "Opened")]
        for goal in goals:
            label = _goal(goal, self.lang)
            header += [
                f"{label}: {self.t('tepat', 'met')}",
                f"{label}: {self.t('terlambat', 'breached')}",
            ]
        return header

    def backlog(self, o: OfficePerformance, uid: str) -> str:
        lang = self.lang
        unit = self.t("hari kerja", "working days")
        chart = _bar_chart(
            f"{uid}-backlog",
            self.t("Kasus terbuka menurut umur", "Open cases by age"),
            [(f"{b.label} {unit}", float(b.count), _num(b.count, lang)) for b in o.backlog],
            scale=None,
        )
        table = _Table(
            self.t("Tunggakan menurut umur", "Backlog by age"),
            [self.t("Umur (hari kerja)", "Age (working days)"),
             self.t("Kasus terbuka", "Open cases")],
            [(b.label, b.count) for b in o.backlog],
            [[escape(b.label), _num(b.count, lang)] for b in o.backlog],
            f"{_slug(o.office)}-backlog.csv",
        )  # fmt: skip
        what = self.t(
            "Kasus yang belum selesai atau ditutup pada saat laporan, dari periode mana pun, "
            "menurut umurnya dalam hari kerja kantor sejak dibuka (libur nasional, cuti "
            "bersama dan penutupan kantor tidak dihitung).",
            "Cases not resolved or closed when the report was taken, whenever opened, by age "
            "in the office's working days since opening (national holidays, cuti bersama and "
            "office closures do not count).",
        )
        return _section(f"{uid}-backlog", self.t("Tunggakan", "Backlog"), what, chart,
                        table.html(lang))  # fmt: skip

    def times(self) -> str:
        lang = self.lang
        offices = [*self.f.offices, self.f.total]
        rows = [
            (o.office, o.first_response.count, _td(o.first_response.median),
             _td(o.first_response.p90), o.resolution.count, _td(o.resolution.median),
             _td(o.resolution.p90))
            for o in offices
        ]  # fmt: skip
        shown = [
            [_bdi(_office_label(o, lang)), *_spread_cells(o.first_response, lang),
             *_spread_cells(o.resolution, lang)]
            for o in offices
        ]  # fmt: skip
        n, med, p90 = (
            self.t("n", "n"),
            self.t("median", "median"),
            self.t("persentil 90", "90th pct"),
        )
        first, res = (
            self.t("Tanggapan pertama", "First response"),
            self.t("Penyelesaian", "Resolution"),
        )
        table = _Table(
            self.t("Waktu kerja sampai tanggapan pertama dan penyelesaian",
                   "Working time to first response and to resolution"),
            [self.t("Kantor", "Office"), f"{first}: {n}", f"{first}: {med}", f"{first}: {p90}",
             f"{res}: {n}", f"{res}: {med}", f"{res}: {p90}"],
            rows, shown, "response-times.csv",
        )  # fmt: skip
        chart = _bar_chart(
            "times-chart",
            self.t("Median tanggapan pertama per kantor (jam kerja)",
                   "Median first response per office (working hours)"),
            [(_office_label(o, lang), _td(o.first_response.median),
              _hours(o.first_response.median, lang)) for o in offices],
            scale=None,
        )  # fmt: skip
        what = self.t(
            "Untuk kasus yang dibuka dalam periode: waktu kerja (jam kerja kantor, di luar "
            "libur) dari pembukaan sampai tindakan pertama petugas (eskalasi otomatis tidak "
            "dihitung), dan sampai kasus selesai atau ditutup. Persentil 90: 9 dari 10 kasus "
            "tidak lebih lama dari ini.",
            "For cases opened in the period: working time (office hours, holidays excluded) "
            "from opening to the first officer action (automatic escalations do not count), "
            "and to resolution or closing. 90th percentile: 9 cases in 10 took no longer.",
        )
        return _section("times", self.t("Waktu tanggapan dan penyelesaian",
                                         "Response and resolution times"), what, chart,
                        table.html(lang))  # fmt: skip

    def breaches(self, o: OfficePerformance, uid: str) -> str:
        parts = [
            *self.breaches_by(o, uid, "category", CATEGORIES, o.breaches_by_category,
                              self.t("Pelanggaran SLA menurut kategori",
                                     "SLA breaches by category")),
            *self.breaches_by(o, uid, "channel", CHANNELS, o.breaches_by_channel,
                              self.t("Pelanggaran SLA menurut kanal", "SLA breaches by channel")),
        ]  # fmt: skip
        goals = self.service_goal_names()
        what = self.t(
            f"Sasaran layanan ({goals}) yang terlambat dalam periode, menurut kategori dan "
            "kanal kasus.",
            f"Service goals ({goals}) breached in the period, by the case's category and channel.",
        )
        return _section(f"{uid}-breaches", self.t("Pelanggaran", "Breaches"), what, *parts)

    def breaches_by(  # noqa: PLR0917 - one breakdown, every part named at the call
        self,
        o: OfficePerformance,
        uid: str,
        key: str,
        vocab: Vocabulary,
        items: Sequence[Count],
        title: str,
    ) -> tuple[str, str]:
        """The chart (twelve largest) and the table of ``o``'s breaches by ``key``."""
        lang = self.lang
        chart = _bar_chart(
            f"{uid}-br-{key}",
            title,
            [(_term(vocab, c.code, lang), float(c.count), _num(c.count, lang)) for c in items[:12]],
            scale=None,
        )
        table = _Table(
            title,
            [self.t("Kode", "Code"), self.t("Nama", "Name"), self.t("Pelanggaran", "Breaches")],
            [(c.code, _term(vocab, c.code, lang), c.count) for c in items],
            [[escape(c.code), escape(_term(vocab, c.code, lang)), _num(c.count, lang)]
             for c in items],
            f"{_slug(o.office)}-breaches-by-{key}.csv",
        )  # fmt: skip
        return chart, table.html(lang)

    def channels(self, o: OfficePerformance, uid: str) -> str:
        lang = self.lang
        rows = [
            (c.channel, c.opened, c.responded, c.unanswered, c.open_now,
             _td(c.first_response.median), _td(c.first_response.p90), c.met, c.breached,
             int(c.clogged))
            for c in o.channels
        ]  # fmt: skip
        clog = self.t("tersumbat", "clogged")
        shown = [
            [escape(_term(CHANNELS, c.channel, lang)), _num(c.opened, lang),
             _num(c.responded, lang), _num(c.unanswered, lang), _num(c.open_now, lang),
             _hours(c.first_response.median, lang), _hours(c.first_response.p90, lang),
             _num(c.met, lang), _num(c.breached, lang),
             f'<span class="flag">{clog}</span>' if c.clogged else _DASH]
            for c in o.channels
        ]  # fmt: skip
        table = _Table(
            self.t("Daya tanggap per kanal", "Responsiveness per channel"),
            [self.t("Kanal", "Channel"), self.t("Dibuka", "Opened"),
             self.t("Ditanggapi", "Responded"), self.t("Belum ditanggapi", "Unanswered"),
             self.t("Masih terbuka", "Open now"), self.t("Median tanggapan", "Median response"),
             self.t("Persentil 90", "90th pct"), self.t("SLA tepat", "SLA met"),
             self.t("SLA terlambat", "SLA breached"), self.t("Tanda", "Flag")],
            rows, shown, f"{_slug(o.office)}-channels.csv",
        )  # fmt: skip
        chart = _bar_chart(
            f"{uid}-channels",
            self.t("Median tanggapan pertama per kanal (jam kerja)",
                   "Median first response per channel (working hours)"),
            [(_term(CHANNELS, c.channel, lang) + (" ⚠" if c.clogged else ""),
              _td(c.first_response.median), _hours(c.first_response.median, lang))
             for c in o.channels],
            scale=None,
        )  # fmt: skip
        what = self.t(
            "Untuk kasus yang dibuka dalam periode, per kanal masuk. Kanal ditandai tersumbat "
            "bila median tanggapannya paling sedikit dua kali median kantor (dan minimal satu "
            "jam kerja), atau seperempat kasusnya belum ditanggapi (minimal 5 kasus).",
            "For cases opened in the period, per intake channel. A channel is flagged clogged "
            "when its median response is at least twice the office's (and at least one "
            "working hour), or a quarter of its cases are unanswered (at least 5 cases).",
        )
        return _section(f"{uid}-channels", self.t("Kanal pengaduan", "Complaint channels"), what,
                        chart, table.html(lang))  # fmt: skip

    def transfers(self) -> str:
        lang = self.lang
        offices = self.f.offices
        table = _Table(
            self.t("Pelimpahan antarkantor", "Transfers between offices"),
            [self.t("Kantor", "Office"), self.t("Masuk", "In"), self.t("Keluar", "Out")],
            [(o.office, o.transfers_in, o.transfers_out) for o in offices],
            [[_bdi(o.name(lang)), _num(o.transfers_in, lang), _num(o.transfers_out, lang)]
             for o in offices],
            "transfers.csv",
        )  # fmt: skip
        what = self.t(
            "Kasus yang dilimpahkan ke kantor lain dalam periode (peristiwa 'transferred'). "
            "Sasaran SLA dihitung untuk kantor yang memegang kasus saat tercapai atau terlewat.",
            "Cases transferred to another office in the period ('transferred' events). SLA "
            "goals count for the office holding the case when met or breached.",
        )
        return _section("transfers", self.t("Pelimpahan", "Transfers"), what, table.html(lang))

    def outreach(self) -> str:
        lang = self.lang
        rows = self.f.outreach
        table = _Table(
            self.t("Sosialisasi per provinsi", "Outreach per province"),
            [self.t("Provinsi", "Province"), self.t("Jenis", "Kind"),
             self.t("Direncanakan", "Planned"), self.t("Terlaksana", "Held"),
             self.t("Dibatalkan", "Cancelled"), self.t("Peserta", "Participants"),
             self.t("Desa", "Villages")],
            [(r.province, r.category, r.planned, r.held, r.cancelled, r.participants, r.villages)
             for r in rows],
            [[escape(r.province), escape(_term(OUTREACH_CATEGORIES, r.category, lang)),
              _num(r.planned, lang), _num(r.held, lang), _num(r.cancelled, lang),
              _num(r.participants, lang), _num(r.villages, lang)]
             for r in rows],
            "outreach.csv",
        )  # fmt: skip
        what = self.t(
            "Kegiatan sosialisasi (alur kerja outreach) per provinsi dan jenis: direncanakan "
            "(dibuka dalam periode), terlaksana dan dibatalkan dalam periode; peserta dan desa "
            "(Desa Migran Emas) dari kegiatan yang terlaksana.",
            "Outreach activities (the outreach workflow) per province and kind: planned "
            "(opened in the period), held and cancelled in the period; participants and "
            "villages (Desa Migran Emas) of the activities held.",
        )
        return _section("outreach", self.t("Sosialisasi dan Desa Migran Emas",
                                           "Outreach and Desa Migran Emas"), what,
                        self.dme_chart(rows), table.html(lang))  # fmt: skip

    def dme_chart(self, rows: Sequence[OutreachRow]) -> str:
        """Desa Migran Emas activities held per province ("" when the period had none)."""
        lang = self.lang
        dme = [r for r in rows if r.category == "desa_migran_emas"]
        if not dme:
            return ""
        return _bar_chart(
            "outreach-dme",
            self.t("Kegiatan Desa Migran Emas terlaksana per provinsi",
                   "Desa Migran Emas activities held per province"),
            [(r.province, float(r.held), f"{_num(r.held, lang)} ({_num(r.villages, lang)} "
              f"{self.t('desa', 'villages')})") for r in dme],
            scale=None,
        )  # fmt: skip

    def office(self, o: OfficePerformance) -> str:
        lang = self.lang
        uid = "o-" + _slug(o.office)
        zone_note = (
            self.t("Waktu dalam zona kantor", "Times in the office's zone")
            + f": {escape(ZONE_ABBREVIATIONS.get(o.tz, o.tz))} ({escape(o.tz)}); "
            + self.t("diambil", "taken")
            + f" {escape(_instant(self.f.at, o.tz, lang))}"
        )
        province = f" · {escape(o.province)}" if o.province else ""
        return (
            f'<h2 id="{uid}">{_bdi(o.name(lang))} <small>({escape(o.office)}{province})</small>'
            f'</h2><p class="meta">{zone_note}</p>'
            + self.cards(o)
            + self.goals(o, uid)
            + self.trend(o, uid)
            + self.backlog(o, uid)
            + self.channels(o, uid)
            + self.breaches(o, uid)
        )


def _compliance(goals: Sequence[GoalCount]) -> float | None:
    """Met ÷ decided over ``goals``, in percent; ``None`` when none was decided."""
    met, decided = sum(g.met for g in goals), sum(g.decided for g in goals)
    return None if not decided else 100 * met / decided


def _cards(items: Iterable[tuple[str, str]]) -> str:
    """The key figures at the top of a section: (figure as text, what it counts)."""
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="n">{escape(n)}</div><div class="l">{escape(label)}'
            "</div></div>"
            for n, label in items
        )
        + "</div>"
    )


def _trend_series(
    o: OfficePerformance, goals: Sequence[str], lang: str
) -> list[tuple[str, list[float | None]]]:
    """Each goal's compliance month by month, named in ``lang``."""
    return [(_goal(goal, lang), [_goal_in(m, goal).compliance for m in o.months]) for goal in goals]


def _chosen_offices(
    figures: object, lang: str, offices: Iterable[str] | None
) -> list[OfficePerformance]:
    """Check the arguments of :func:`render_report_html`; the offices given a section."""
    figures = _checked(figures, lang)
    if offices is None:
        return list(figures.offices)
    if isinstance(offices, str) or not isinstance(offices, Iterable):
        raise WrongTypeError(
            f"offices must be an iterable of office ids, got {type(offices).__name__}"
        )
    chosen = [figures.office(o) for o in offices]
    if not chosen:
        raise UnknownTermError("offices is empty; give at least one office id, or None")
    return chosen


def render_report_html(
    figures: PerformanceFigures,
    *,
    lang: str = "id",
    offices: Iterable[str] | None = None,
    title: str | None = None,
) -> str:
    """Render the figures as one self-contained HTML page.

    The page loads nothing (no script, font, image or style sheet from elsewhere; its
    content security policy refuses them), so it opens offline from a file. Charts are
    inline SVG with a title and description for screen readers, each with its numbers
    in a table that downloads as CSV; the whole report downloads as one CSV too.

    Args:
        figures: From :func:`performance_figures`.
        lang: ``"id"`` (Bahasa Indonesia) or ``"en"``.
        offices: Office ids to give a section each (default: every office); the
            all-offices summary and the ranking always cover every office.
        title: The page title; a default names the period.

    Returns:
        The HTML text (UTF-8).

    Raises:
        InvalidArgumentError: ``lang`` is neither ``"id"`` nor ``"en"``.
        UnknownTermError: an office in ``offices`` has no figures.
        WrongTypeError: ``figures`` or ``offices`` is of the wrong type.
    """
    chosen = _chosen_offices(figures, lang, offices)
    r = _Report(figures, lang)
    period = f"{_day(figures.period_start, lang)} {_DASH} {_day(figures.period_end, lang)}"
    heading = title or r.t(
        f"Laporan kinerja kantor BP3MI, {period}", f"BP3MI office performance report, {period}"
    )
    total = figures.total
    nav = "".join(
        f'<li><a href="#{a}">{escape(label)}</a></li>'
        for a, label in (
            ("summary", r.t("Ringkasan semua kantor", "All offices at a glance")),
            ("ranking", r.t("Peringkat kantor", "Office ranking")),
            ("times", r.t("Waktu tanggapan", "Response times")),
            ("transfers", r.t("Pelimpahan", "Transfers")),
            ("outreach", r.t("Sosialisasi", "Outreach")),
            ("sources", r.t("Sumber SLA", "SLA sources")),
            ("method", r.t("Cara menghitung", "How it is counted")),
        )
    ) + "".join(f'<li><a href="#o-{_slug(o.office)}">{_bdi(o.name(lang))}</a></li>' for o in chosen)
    taken = _instant(figures.at, "Asia/Jakarta", lang)
    versions = ", ".join(f"{o}: {v}" for o, v in figures.calendar_versions)
    csv_all = base64.b64encode(("\ufeff" + figures_to_csv(figures, lang=lang)).encode()).decode(
        "ascii"
    )
    method = r.t(
        "Semua angka dihitung dari riwayat kasus (peristiwa yang berantai hash) dan jam SLA "
        "yang tersimpan pada kasus, dalam satu kali baca. Hari dan bulan dibaca dalam zona "
        "waktu masing-masing kantor; waktu kerja dihitung pada kalender kerja kantor (libur "
        "nasional, cuti bersama, penutupan kantor). Kasus yang dilimpahkan: pembukaan dihitung "
        "untuk kantor pembuka, sasaran SLA untuk kantor yang memegang kasus saat itu, "
        "tunggakan untuk kantor yang memegangnya saat laporan diambil.",
        "Every figure is computed from the cases' histories (hash-chained events) and the "
        "SLA clocks stored on them, in one read. Days and months are read in each office's "
        "zone; working time is measured on the office's working calendar (national "
        "holidays, cuti bersama, office closures). Transferred cases: the opening counts "
        "for the office that opened it, SLA goals for the office holding the case at that "
        "moment, the backlog for the office holding it when the report was taken.",
    )
    body = (
        f'<header><p class="meta">migrantcare</p><h1>{escape(heading)}</h1>'
        f'<p class="meta">{escape(r.t("Diambil", "Taken"))} {escape(taken)} · '
        f"{escape(r.t('Alur kerja', 'Workflows'))}: {escape(', '.join(figures.workflows))} · "
        f"{escape(r.t('Kasus dibaca', 'Cases read'))}: {_num(figures.cases_read, lang)}</p>"
        f'<p class="meta"><a class="csv" download="performance.csv" '
        f'href="data:text/csv;charset=utf-8;base64,{csv_all}">'
        f"{escape(r.t('Unduh semua angka (CSV)', 'Download every figure (CSV)'))}</a></p>"
        f'<nav aria-label="{escape(r.t("Isi", "Contents"))}"><ul>{nav}</ul></nav></header>'
        f"<main>"
        f'<h2 id="summary">{escape(r.t("Ringkasan semua kantor", "All offices at a glance"))}</h2>'
        + r.cards(total)
        + r.unsettled(total)
        + r.ranking()
        + r.goals(total, "all")
        + r.trend(total, "all")
        + r.backlog(total, "all")
        + r.times()
        + r.channels(total, "all")
        + r.breaches(total, "all")
        + r.transfers()
        + r.outreach()
        + r.sources()
        + "".join(r.office(o) for o in chosen)
        + f'<h2 id="method">{escape(r.t("Cara menghitung", "How it is counted"))}</h2>'
        f'<p class="what">{escape(method)}</p>'
        f'<p class="what">{escape(r.t("Versi kalender", "Calendar versions"))}: '
        f"{escape(versions)}</p></main>"
        f"<footer>{escape(r.t('Dibuat oleh migrantcare; berkas ini berdiri sendiri dan tidak memuat apa pun dari internet.', 'Made by migrantcare; this file stands alone and loads nothing from the internet.'))}</footer>"  # noqa: E501
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(heading)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
