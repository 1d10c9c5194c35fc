"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import datetime as dt

import pendulum
from hypothesis import strategies as st

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

ACTORS = st.sampled_from(["cc-01", "officer-ntt-7", "system:sla", "kepala-bp3mi"])
NOTES = st.one_of(st.none(), st.text(max_size=40))
DATA_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=20))
EXTRA_DATA = st.dictionaries(
    st.text(alphabet="abcdefghij_", min_size=1, max_size=8), DATA_VALUES, max_size=3
)
STEP_SECONDS = st.integers(min_value=0, max_value=5 * 86400)


def satisfying_data(trigger: str) -> dict[str, object]:
    """Data that passes the standard workflows' guards for ``trigger``."""
    if trigger == "close":
        return {"reason": "unreachable"}
    return {}


# --------------------------------------------------------------------------- hostile values
# What an integrator's bug or an attacker hands the library: every public entry point
# must answer these with a MigrantCareError (or accept them) and change nothing.


def _nested(depth: int) -> object:
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


LONE_SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udc80" * 3, "ok\ud83d"])
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
