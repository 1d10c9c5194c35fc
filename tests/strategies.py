"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import datetime as dt

import pendulum
from hypothesis import strategies as st

from migrantcare import Actor, Person

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
