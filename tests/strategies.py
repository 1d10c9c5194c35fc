"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo

import pendulum
from hypothesis import strategies as st

from migrantcare import (
    CATEGORIES,
    CLOSURE_REASONS,
    Actor,
    CaseMatch,
    Guard,
    NoticeSpec,
    Person,
    SlaPlan,
    SlaPolicy,
    SlaTarget,
    State,
    Term,
    Transition,
    Vocabulary,
    WorkflowSpec,
)
from migrantcare.cases._notice_spec import POINTS
from tests.actors import actor

# Zones that complaints and offices really come from, DST zones included.
ZONES = (
    "Asia/Jakarta",
    "Asia/Pontianak",
    "Asia/Makassar",
    "Asia/Jayapura",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Riyadh",
    "Asia/Kuala_Lumpur",
    "Asia/Yangon",
    "Europe/Berlin",
    "Europe/Warsaw",
    "UTC",
)

# Leave a margin inside the default calendar's 1990..2040 so results stay in range.
dates = st.dates(min_value=dt.date(1992, 1, 1), max_value=dt.date(2038, 12, 31))
recent_dates = st.dates(min_value=dt.date(2017, 1, 1), max_value=dt.date(2027, 12, 31))
# Up to ten years of working days either way; from a date in the middle of the range.
day_counts = st.integers(min_value=-2500, max_value=2500)
central_dates = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2028, 12, 31))
zones = st.sampled_from(ZONES)


@st.composite
def aware_datetimes(draw: st.DrawFn, *, min_year: int = 1992, max_year: int = 2038) -> dt.datetime:
    """Aware datetimes in a sampled zone, as pendulum or plain stdlib objects."""
    naive = draw(
        st.datetimes(
            min_value=dt.datetime(min_year, 1, 1), max_value=dt.datetime(max_year, 12, 31, 23, 59)
        )
    )
    tz = draw(zones)
    value = pendulum.instance(naive, tz=tz)
    if draw(st.booleans()):
        return dt.datetime.fromtimestamp(value.timestamp(), tz=dt.timezone.utc).astimezone(
            pendulum.timezone(tz)
        )
    return value


working_deltas = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=80))


# --------------------------------------------------------------------------- workflows

ACTORS = st.sampled_from(
    [
        Actor("cc-01", roles={"call_centre"}),
        Actor("officer-ntt-7", roles={"officer"}, office="bp3mi-ntt"),
        Actor("system:sla", roles={"system"}),
        Actor("kepala-bp3mi", roles={"head_of_office", "officer"}, office="bp3mi-ntt"),
    ]
)
# Actors every standard workflow lets open a case at bp3mi-ntt.
OPENERS = st.sampled_from(
    [
        Actor("officer-ntt-7", roles={"officer"}, office="bp3mi-ntt"),
        Actor("kepala-bp3mi", roles={"head_of_office", "officer"}, office="bp3mi-ntt"),
    ]
)
#: The characters of case texts: any but a lone surrogate and NUL (refused by the
#: domain, as PostgreSQL cannot store it).
CASE_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
NOTES = st.one_of(st.none(), st.text(CASE_CHARS, max_size=40))
DATA_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.text(CASE_CHARS, max_size=20)
)
EXTRA_DATA = st.dictionaries(
    st.text(alphabet="abcdefghij_", min_size=1, max_size=8), DATA_VALUES, max_size=3
)
STEP_SECONDS = st.integers(min_value=0, max_value=5 * 86400)


def satisfying_data(trigger: str) -> dict[str, object]:
    """Data that passes the standard workflows' guards for ``trigger``."""
    if trigger == "close":
        return {"reason": "unreachable"}
    return {}


# --------------------------------------------------------------------------- definitions

CODES = st.from_regex(r"\A[a-z][a-z0-9_]{0,10}\Z")
LABELS = st.text(CASE_CHARS, max_size=20)  # no NUL: every stored text refuses it
MESSAGE_KEYS = st.from_regex(r"\A[a-z_][a-z0-9_]{0,6}(\.[a-z0-9_]{1,6}){0,2}\Z")
VALUE_SOURCES = st.sampled_from(
    [
        "case_number",
        "complainant.name",
        "worker.name | complainant.name",
        "event.at",
        "event.date",
        "state",
        "category",
        "sla.goal",
        "data.amount_idr:money",
        "data.reason:term.closure_reasons | 'n/a'",
        "data.documents:term.document_types | ref.doc.supporting",
        "attr.village | '-'",
        "plural:unit.working_days:15",
    ]
)


def _match() -> st.SearchStrategy[CaseMatch]:
    codes = st.frozensets(CODES, max_size=2)
    return st.builds(CaseMatch, categories=codes, priorities=codes, channels=codes)


@st.composite
def workflow_specs(draw: st.DrawFn) -> WorkflowSpec:
    """Random workflow definitions (not necessarily runnable): for document round trips."""
    ids = draw(st.lists(CODES, min_size=1, max_size=5, unique=True))
    states = tuple(
        State(
            i, draw(LABELS), draw(LABELS), terminal=draw(st.booleans()), waiting=draw(st.booleans())
        )
        for i in ids
    )
    guards = st.sampled_from(
        [
            Guard.require_note(),
            Guard.require_data("reason", allowed=CLOSURE_REASONS),
            Guard.require_data("employer"),
            Guard.require_data("mode", allowed=["sea", "air"]),
        ]
    )
    triggers = draw(
        st.lists(
            CODES.filter(lambda c: c not in ("open", "migrate", "trigger")), max_size=5, unique=True
        )
    )
    transitions = tuple(
        Transition(
            t,
            draw(
                st.one_of(
                    st.just(("*",)),
                    st.lists(st.sampled_from(ids), min_size=1, max_size=3).map(tuple),
                )
            ),
            draw(st.one_of(st.none(), st.sampled_from(ids))),
            guards=draw(st.lists(guards, max_size=2)),
            label_id=draw(LABELS),
            label_en=draw(LABELS),
        )
        for t in triggers
    )
    target = st.one_of(
        st.integers(1, 60).map(SlaTarget.working_days),
        st.integers(1, 10**6).map(
            lambda s: SlaTarget("working_time", duration=dt.timedelta(seconds=s))
        ),
        st.integers(1, 10**7).map(lambda s: SlaTarget("elapsed", duration=dt.timedelta(seconds=s))),
    )
    state_sets = st.frozensets(st.sampled_from(ids), max_size=2)
    event_sets = (
        st.frozensets(st.sampled_from(triggers), max_size=2) if triggers else st.just(frozenset())
    )
    policies = st.builds(
        SlaPolicy,
        CODES,
        target,
        start_states=st.frozensets(st.sampled_from(ids), min_size=1, max_size=2),
        pause_states=state_sets,
        stop_states=st.frozensets(st.sampled_from(ids), min_size=1, max_size=2),
        start_events=event_sets,
        stop_events=event_sets,
        warn_at=st.lists(st.floats(0.01, 0.99), max_size=3).map(tuple),
        escalate_with=st.one_of(st.none(), st.sampled_from(triggers)) if triggers else st.none(),
        variant=st.one_of(st.just("default"), CODES),
        when=st.one_of(st.none(), _match()),
        source=LABELS,
        confirmed=st.booleans(),
        description=LABELS,
    )
    sla = draw(st.one_of(st.none(), st.lists(policies, max_size=3).map(SlaPlan)))
    notices = draw(
        st.lists(
            st.builds(
                NoticeSpec,
                st.sampled_from([*POINTS, *triggers]),
                MESSAGE_KEYS,
                CODES,
                st.dictionaries(
                    CODES.filter(lambda c: c not in ("case_number", "office")),
                    VALUE_SOURCES,
                    max_size=3,
                ),
                channels=st.lists(CODES, max_size=2, unique=True).map(tuple),
                when=st.one_of(st.none(), _match()),
                unless=st.one_of(st.none(), _match()),
            ),
            max_size=4,
        )
    )
    custom = st.builds(
        Vocabulary,
        LABELS,
        st.lists(
            st.builds(Term, CODES, LABELS, LABELS), max_size=3, unique_by=lambda t: t.code
        ).map(tuple),
    )
    return WorkflowSpec(
        name=draw(CODES),
        version=draw(st.integers(1, 1000)),
        initial=draw(st.sampled_from(ids)),
        states=states,
        transitions=transitions,
        categories=draw(st.one_of(st.just(CATEGORIES), custom)),
        description=draw(LABELS),
        sla=sla,
        notices=tuple(notices),
    )


# --------------------------------------------------------------------------- messages

# Hostile values for every Messages / sms_info / check_catalogs entry point: wrong types,
# non-finite and huge numbers, lone surrogates, overlong and deeply nested values.
LONE_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\ud83d"])
HUGE_NUMBERS = st.sampled_from(
    [10**19, -(10**30), 10**5000, 1e300, float("inf"), float("-inf"), float("nan")]
)


@st.composite
def deeply_nested(draw: st.DrawFn) -> object:
    """A list nested a few to a few thousand levels deep (a cycle included)."""
    depth = draw(st.integers(min_value=2, max_value=5000))
    value: object = ["x"]
    for _ in range(depth):
        value = [value]
    if draw(st.booleans()):
        cyclic: list[object] = []
        cyclic.append(cyclic)
        return cyclic
    return value


def _decimal_specials() -> st.SearchStrategy[object]:
    return st.sampled_from(
        [
            decimal.Decimal("NaN"),
            decimal.Decimal("sNaN"),
            decimal.Decimal("Infinity"),
            decimal.Decimal("1e999999"),
            decimal.Decimal("-1e19"),
            decimal.Decimal("1e-999999"),
        ]
    )


HOSTILE_VALUES: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    HUGE_NUMBERS,
    _decimal_specials(),
    LONE_SURROGATES,
    st.just("x" * 100_001),
    deeply_nested(),
    st.builds(object),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sets(st.integers(), max_size=2),
    st.binary(max_size=4),
    st.datetimes(),  # naive
    st.lists(st.builds(object), min_size=1, max_size=2),
    st.just(["x"] * 1_001),
)
"""Values no placeholder can render: each must be refused with a migrantcare error."""

HOSTILE_NAMES: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(max_size=8),
    st.lists(st.text(max_size=3), max_size=2),
    LONE_SURROGATES,
    st.text(min_size=2_000, max_size=2_000, alphabet="ab-_"),
    # not a tag that rightly negotiates to a catalog: "id", "en-US", "C" (POSIX, which
    # Babel reads as en_US_POSIX)
    st.text(max_size=30).filter(
        lambda s: (
            s.replace("_", "-").split("-")[0].strip().lower()
            not in {"id", "in", "en", "c", "posix"}
        )
    ),
    st.sampled_from(["fr", "xx_YY", "*", "", "en;q=0", "zh-TW", "id\x00", "../../etc", "ü"]),
)
"""Hostile locales, keys, zones and channels."""

ACCEPT_LANGUAGE = st.lists(
    st.tuples(
        st.sampled_from(["id", "id-ID", "in", "en", "en-US", "en_GB", "fr", "zh-TW", "ms", "*"]),
        st.one_of(st.none(), st.sampled_from(["0", "0.1", "0.5", "0.9", "1", "1.0", "x", "2"])),
    ),
    min_size=1,
    max_size=6,
).map(lambda items: ", ".join(t if q is None else f"{t};q={q}" for t, q in items))
"""Accept-Language headers, well-formed or not."""

GSM7_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ 019.,@£$\n") + list("^{}\\[~]|€")), max_size=700
)
UCS2_TEXT = st.text(
    alphabet=st.sampled_from([*list("abc 1é"), "漢", "字", "“", "😀", "👍", "🇮"]),
    max_size=300,
)


# --------------------------------------------------------------------------- who may act

# A BP3MI with a P4MI post under it, another BP3MI, and the ministry's headquarters.
OFFICE_PARENTS = (
    ("bp3mi-ntt", None),
    ("p4mi-kupang", "bp3mi-ntt"),
    ("bp3mi-jatim", None),
    ("kp2mi-hq", None),
)
ROLES = (
    "call_centre",
    "officer",
    "head_of_office",
    "ministry_hq",
    "crisis_centre",
    "system",
    "auditor",  # a role no standard rule names
)
actor_ids = st.sampled_from(["cc-01", "officer-ntt-7", "kepala-jatim", "hq-3", "system:sla"])
role_sets = st.frozensets(st.sampled_from(ROLES), max_size=3)
actor_offices = st.sampled_from([None, *(office for office, _ in OFFICE_PARENTS)])
case_offices = st.sampled_from(
    [office for office, parent in OFFICE_PARENTS if office != "kp2mi-hq"]
)

# Personal data made distinctive enough that finding it in an output is never chance.
_MARK = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=6, max_size=10)
persons = st.builds(
    lambda name, passport, nik, phone, kind: Person(
        f"Nama {name}",
        kind=kind,
        passport_number=None if passport is None else f"P{passport}",
        nik=nik,
        phone=None if phone is None else f"+62{phone}",
    ),
    _MARK,
    st.one_of(st.none(), _MARK),
    st.one_of(st.none(), st.from_regex(r"\A[1-9][0-9]{15}\Z")),
    st.one_of(st.none(), st.from_regex(r"\A8[0-9]{9}\Z")),
    st.sampled_from(["pmi", "cpmi", "family"]),
)

# Text for iCalendar values: every character a name could carry (accents, emoji, the
# characters RFC 5545 escapes, line breaks); no surrogates, which UTF-8 cannot encode.
ics_texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(';,\\\n:"é😀'),
    ),
    max_size=300,
)


# --------------------------------------------------------------------------- hostile values (API)
# What an integrator's bug or an attacker hands the library: every public entry point
# must answer these with a MigrantCareError (or accept them) and change nothing.


def _nested(depth: int) -> object:
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


# LONE_SURROGATES: defined above, shared with the message suites
HUGE_INTS = st.one_of(
    st.sampled_from([2**63, -(2**63) - 1, 10**400, -(10**4000)]),
    st.integers(min_value=2**63),
)
NON_FINITE = st.sampled_from([float("nan"), float("inf"), float("-inf"), -float("nan")])
DEEP = st.sampled_from([_nested(40), _nested(1_000), _nested(50_000), {"a": _nested(100)}])
BIG_TEXT = st.sampled_from(["x" * 200_001, "é" * 1_000_000])
# Wrong types for a text or number field; bools are not ints, "1" is not 1.
WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
    st.just(dt.date(2026, 1, 1)),
    st.just(dt.timedelta(days=1)),
    st.sampled_from(["", " ", "1", "None", "nan"]),
)


@st.composite
def extreme_datetimes(draw: st.DrawFn) -> dt.datetime:
    """Aware datetimes at the edges of what ``datetime`` holds, with extreme offsets."""
    offset = draw(st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59))
    tz = dt.timezone(dt.timedelta(minutes=offset))
    edge = draw(
        st.one_of(
            st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(1, 1, 3)),
            st.datetimes(
                min_value=dt.datetime(9999, 12, 29), max_value=dt.datetime(9999, 12, 31, 23, 59)
            ),
            st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
        )
    )
    return edge.replace(tzinfo=tz)


HUGE_DURATIONS = st.one_of(
    st.sampled_from([dt.timedelta.max, dt.timedelta.min, dt.timedelta(days=10**8)]),
    st.timedeltas(min_value=dt.timedelta(days=40_000)),
)

HOSTILE_TEXT = st.one_of(LONE_SURROGATES, BIG_TEXT, WRONG_TYPES)
HOSTILE_NUMBERS = st.one_of(NON_FINITE, HUGE_INTS, WRONG_TYPES, st.floats(max_value=0))
HOSTILE_INSTANTS = st.one_of(
    extreme_datetimes(),
    WRONG_TYPES,
    st.datetimes(),  # naive
    st.just("2026-03-02T09:00:00+07:00"),  # a string is not a datetime
)
# JSON-like data with at least one poisoned leaf somewhere inside.
POISON = st.one_of(NON_FINITE, HUGE_INTS, LONE_SURROGATES, DEEP, BIG_TEXT, st.just(object()))
HOSTILE_JSON = st.one_of(
    POISON.map(lambda v: {"k": v}),
    POISON.map(lambda v: {"k": [1, {"x": v}]}),
    st.just({1: "non-str key"}),
    st.just({("t",): 1}),
    st.just({"\ud800": 1}),
    WRONG_TYPES.filter(lambda v: v is not None and not isinstance(v, dict)),
)

# Stored-document mutations: a path into Case.to_dict() output and a replacement.
REPLACEMENTS = st.one_of(
    WRONG_TYPES,
    NON_FINITE,
    HUGE_INTS,
    LONE_SURROGATES,
    DEEP,
    st.sampled_from(["", "0" * 64, "zz", "2026-02-30T00:00:00+07:00", "9999-12-31T23:59:59-23:59"]),
)


@st.composite
def cases(draw: st.DrawFn, *, max_steps: int = 8) -> object:
    """A complaint (no SLA plan) after a random walk of allowed events."""
    from migrantcare import Person, complaint_workflow  # noqa: PLC0415

    wf = complaint_workflow(sla=False)
    when = draw(aware_datetimes(min_year=2020, max_year=2030))
    names = st.text(CASE_CHARS, min_size=1, max_size=20).filter(str.strip)
    person = st.none() | st.builds(
        Person, names, passport_number=st.none() | st.text(CASE_CHARS, max_size=10)
    )
    case = wf.open(
        draw(st.text(CASE_CHARS, min_size=1, max_size=12).filter(str.strip)),
        at=when,
        by=actor("cc-01"),
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=draw(person),
        worker=draw(person),
        attributes=draw(
            st.dictionaries(
                st.text(CASE_CHARS, max_size=5),
                st.integers(-(2**63) + 1, 2**63 - 1) | st.text(CASE_CHARS, max_size=5),
            )
        ),
        note=draw(st.none() | st.text(CASE_CHARS, max_size=20)),
    )
    for _ in range(draw(st.integers(0, max_steps))):
        if not wf.allowed_events(case):
            break
        by = draw(ACTORS)
        allowed = wf.allowed_events(case, by=by)  # what this actor may do (who may act)
        if not allowed:
            continue
        trigger = draw(st.sampled_from(allowed))
        when = when + dt.timedelta(minutes=draw(st.integers(0, 10_000)))
        case = wf.fire(
            case,
            trigger,
            at=when,
            by=by,
            # some guards need a note
            note=draw(st.text(CASE_CHARS, min_size=1, max_size=20).filter(str.strip)),
            data=satisfying_data(trigger),
        )
    return case


# --------------------------------------------------------------------------- SLA clocks

#: Targets of every unit, from a minute to long multi-week ones.
sla_targets = st.one_of(
    st.integers(min_value=1, max_value=40).map(SlaTarget.working_days),
    st.integers(min_value=1, max_value=200 * 60).map(SlaTarget.working_minutes),
    st.integers(min_value=1, max_value=60 * 86400).map(
        lambda s: SlaTarget.elapsed(dt.timedelta(seconds=s))
    ),
)
#: Warning thresholds as policies declare them (none, one, several).
warn_fractions = st.lists(
    st.floats(min_value=0.01, max_value=0.99, allow_nan=False), max_size=4, unique=True
)


# --------------------------------------------------------------------------- fast paths
# Inputs that the library's hand-written fast paths (opening data, event hashes, UTC
# conversion) must treat exactly as the general code does.

#: Characters JSON and the hash chain handle specially: quotes, backslashes, control
#: characters, line separators, non-BMP emoji, combining marks. (Not NUL: the domain
#: refuses it, as PostgreSQL cannot store it.)
_TRICKY_CHARS = st.sampled_from(
    ['"', "\\", "/", "\x01", "\x08", "\x1f", "\x7f", "\n", "\u2028", "\u2029", "é", "😀", "\u0301"]
)
_VALID_CHARS = st.one_of(st.characters(codec="utf-8", exclude_characters="\x00"), _TRICKY_CHARS)
#: Any valid text (no lone surrogates: ids and codes are checked for those first; no NUL).
valid_texts = st.text(alphabet=_VALID_CHARS, max_size=30)
#: Non-blank valid text of an id's length.
id_texts = st.text(alphabet=_VALID_CHARS, min_size=1, max_size=30).filter(str.strip)
#: Texts of hashed fields with one lone surrogate spliced in somewhere.
surrogate_texts = st.tuples(valid_texts, LONE_SURROGATES, valid_texts).map("".join)

#: IANA zones with DST gaps and folds, and ones without.
DST_ZONES = (
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Asia/Jakarta",
    "Asia/Hong_Kong",
    "Asia/Makassar",
    "Asia/Jayapura",
    "America/Santiago",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "UTC",
)
#: Local wall times at which one of DST_ZONES skips or repeats an hour (or did).
_TRANSITIONS = (
    dt.datetime(2026, 3, 29, 2),  # Berlin: 02:00 -> 03:00
    dt.datetime(2026, 10, 25, 2),  # Berlin: 03:00 -> 02:00
    dt.datetime(2018, 11, 4, 0),  # Sao Paulo: 00:00 -> 01:00
    dt.datetime(2019, 2, 16, 23),  # Sao Paulo: 24:00 -> 23:00
    dt.datetime(1964, 1, 1, 0),  # Jakarta: +07:30 -> +07:00
    dt.datetime(1979, 5, 13, 3, 30),  # Hong Kong summer time
    dt.datetime(1979, 10, 21, 3, 30),
    dt.datetime(2026, 4, 5, 2),  # Lord Howe: 02:00 -> 01:30
)


@st.composite
def wall_times(draw: st.DrawFn) -> dt.datetime:
    """Naive wall times: years 1..9999 (edges often), and around DST changes."""
    return draw(
        st.one_of(
            st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(1, 1, 2)),
            st.datetimes(min_value=dt.datetime(9999, 12, 30), max_value=dt.datetime.max),
            st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31)),
            st.tuples(
                st.sampled_from(_TRANSITIONS),
                st.integers(min_value=-3 * 3600 * 10**6, max_value=3 * 3600 * 10**6),
            ).map(lambda t: t[0] + dt.timedelta(microseconds=t[1])),
        )
    )


#: Every kind of tzinfo an aware instant may carry: stdlib and pendulum IANA zones,
#: stdlib and pendulum fixed offsets (up to almost a day either way).
tzinfos = st.one_of(
    st.sampled_from(DST_ZONES).map(zoneinfo.ZoneInfo),
    st.sampled_from(DST_ZONES).map(pendulum.timezone),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda m: dt.timezone(dt.timedelta(minutes=m))
    ),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda m: pendulum.fixed_timezone(m * 60)
    ),
)


@st.composite
def any_aware_datetimes(draw: st.DrawFn) -> dt.datetime:
    """Aware stdlib or pendulum datetimes of any year, any tzinfo, fold 0 or 1."""
    wall = draw(wall_times())
    tz = draw(tzinfos)
    fold = draw(st.integers(0, 1))
    cls = draw(st.sampled_from([dt.datetime, pendulum.DateTime]))
    return cls(
        wall.year,
        wall.month,
        wall.day,
        wall.hour,
        wall.minute,
        wall.second,
        wall.microsecond,
        tzinfo=tz,
        fold=fold,
    )
