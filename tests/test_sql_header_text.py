"""The header a save writes as JSON text is the document the store wrote before (#24).

On psycopg a save encodes the header once: its canonical JSON is what the seal's MAC
covers and, with the seal added, the text the ``jsonb`` parameter sends. These tests
hold it to the document the store wrote before (built by copying the case without its
events and persons), on the benchmarks' workload, on generated cases and as stored.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import Case, Person, WorkingCalendar, complaint_workflow
from migrantcare.sql import CaseTables, Sealer, SqlCaseStore, _writing, case_tables, create_all
from migrantcare.sql._seal import SEAL_FIELD, _canonical
from migrantcare.sql._writing import _CLOCK_TEXTS, _TIME_TEXTS, Writes, clock_json, header
from tests.actors import actor
from tests.store_support import bench_workload
from tests.strategies import satisfying_data, valid_texts

KEY = b"h" * 32
PREFIX = "ht_"


def old_header(case: Case) -> dict[str, Any]:
    """The header document as the store built it before: the case without its history."""
    doc = attrs.evolve(case, events=case.events[:1], complainant=None, worker=None).to_dict()
    for key in ("events", "complainant", "worker"):
        del doc[key]
    return doc


def old_sealed(case: Case, sealer: Sealer | None) -> dict[str, Any]:
    doc = old_header(case)
    if sealer is not None:
        doc[SEAL_FIELD] = sealer.seal(case, doc)
    return doc


# a writer's engine and tables: it builds documents and writes nothing, so one of each
# serves every writer (each still has memories of its own)
_ENGINE = sa.create_engine("sqlite://")
_TABLES = case_tables()
_WF = complaint_workflow()
_CAL = WorkingCalendar.for_province("Nusa Tenggara Timur")


def writes(sealer: Sealer | None) -> Writes:
    """A writer for the header alone (a fresh one: its memories start empty)."""
    return Writes(_ENGINE, _TABLES, sealer, None, driver=None)  # type: ignore[arg-type]


def assert_same_header(w: Writes, case: Case, sealer: Sealer | None) -> None:
    old = old_header(case)
    # the document: same keys, same order, same values
    assert list(header(case).items()) == list(old.items())
    assert w.sealed_header(case) == old_sealed(case, sealer)
    # the text: decodes to the old document; without its seal it is the canonical JSON
    # the seal covers, byte for byte
    text = w.header_text(case)
    doc = json.loads(text)
    assert doc == old_sealed(case, sealer)
    if sealer is not None:
        assert list(doc)[-1] == SEAL_FIELD
        seal = json.dumps(doc[SEAL_FIELD], sort_keys=True, separators=(",", ":"))
        assert text.endswith(f',"{SEAL_FIELD}":{seal}}}')
        text = text[: -len(f',"{SEAL_FIELD}":{seal}}}')] + "}"
    assert text.encode() == _canonical(old)


@pytest.mark.parametrize("sealed", [False, True])
def test_every_version_of_the_workload_gets_the_header_it_got_before(sealed: bool) -> None:
    sealer = Sealer({"k": KEY}) if sealed else None
    w = writes(sealer)
    work = bench_workload(30)
    order = sorted(
        ((k, case_id) for case_id, v in work.versions.items() for k in range(len(v))),
    )
    # round-robin, as the benchmark saves: clocks come from the writer's memory or afresh
    for k, case_id in order:
        assert_same_header(w, work.versions[case_id][k], sealer)
    assert any(case.clocks for versions in work.versions.values() for case in versions)


_attribute_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63) + 1, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | valid_texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(valid_texts, inner, max_size=3),
    max_leaves=8,
)


@given(
    attributes=st.dictionaries(valid_texts, _attribute_values, max_size=4),
    steps=st.lists(st.integers(0, 50), max_size=6),
    gap=st.integers(1, 5000),
    sealed=st.booleans(),
)
def test_generated_cases_get_the_header_they_got_before(
    attributes: dict[str, Any], steps: list[int], gap: int, sealed: bool
) -> None:
    wf, cal = _WF, _CAL
    when = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
    case = wf.open(
        "PGD-H",
        at=when,
        by=actor("callcenter-01"),
        office="bp3mi-ntt",
        category="unpaid_wages",
        channel="whatsapp",
        complainant=Person("Siti Aminah", passport_number="C1234567"),
        attributes=attributes,
        calendar=cal,
    )
    sealer = Sealer({"k": KEY}) if sealed else None
    w = writes(sealer)
    assert_same_header(w, case, sealer)
    for pick in steps:
        allowed = wf.allowed_events(case, by=actor("officer-a"))
        if not allowed:
            break
        trigger = allowed[pick % len(allowed)]
        when += dt.timedelta(minutes=gap)
        case = wf.fire(
            case,
            trigger,
            at=when,
            by=actor("officer-a"),
            note="n",
            data=satisfying_data(trigger),
            calendar=cal,
        )
        assert_same_header(w, case, sealer)


def test_the_writers_memory_of_clock_texts_is_bounded_and_holds_its_clocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _CLOCK_TEXTS >= 1000
    assert _TIME_TEXTS >= 1000
    bound = 50
    monkeypatch.setattr(_writing, "_CLOCK_TEXTS", bound)
    monkeypatch.setattr(_writing, "_TIME_TEXTS", bound)
    w = writes(None)
    work = bench_workload(30)
    clocks = [c for v in work.versions.values() for case in v for c in case.clocks]
    assert len({id(c) for c in clocks}) > 4 * bound
    for clock in clocks + clocks[::-1]:
        assert w.clock_text(clock) == _canonical(clock.to_dict()).decode()
        assert len(w._clock_texts) <= bound
        assert len(w._time_texts) <= bound
    # each entry keeps its clock (instant): its id cannot be another's while it is there
    assert all(id(clock) == key for key, (clock, _) in w._clock_texts.items())
    assert all(id(when) == key for key, (when, _) in w._time_texts.items())
    assert all(when.isoformat() == text for when, text in w._time_texts.values())


class _Text(str):
    """A str of another type: the encoder writes it as a str."""


class _Number(int):
    """An int of another type."""


def test_clocks_and_cases_built_by_hand_with_other_types_get_the_encoders_text() -> None:
    work = bench_workload(5)
    case = max((v[-1] for v in work.versions.values()), key=lambda c: len(c.clocks))
    clock = case.clocks[0]
    odd_clocks = [
        attrs.evolve(clock, goal=_Text(clock.goal + '"\\é')),
        attrs.evolve(clock, cycle=_Number(3), used_us=_Number(7)),
        attrs.evolve(clock, recorded=[*clock.recorded, _Text("x")]),
        attrs.evolve(clock, calendar_version=None, budget_us=None, provisional=True),
    ]
    for odd in odd_clocks:
        assert clock_json(odd) == _canonical(odd.to_dict()).decode()
    odd_cases = [
        attrs.evolve(case, office=_Text(case.office)),
        attrs.evolve(case, workflow_version=_Number(case.workflow_version)),
        attrs.evolve(case, calendar_zone=None, calendar_version=None, clocks=tuple(odd_clocks)),
        attrs.evolve(case, id=case.id + '"\u2028\x01😀'),
    ]
    for sealer in (None, Sealer({"k": KEY})):
        for odd_case in odd_cases:
            assert_same_header(writes(sealer), odd_case, sealer)


# ------------------------------------------------------------------ as stored


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(pg_url)
    case_tables(prefix=PREFIX).metadata.drop_all(engine)
    yield engine
    case_tables(prefix=PREFIX).metadata.drop_all(engine)
    engine.dispose()


@pytest.mark.parametrize("sealed", [False, True])
def test_postgresql_stores_the_header_it_stored_before_and_loads_it(
    pg_engine: sa.Engine, sealed: bool
) -> None:
    tables: CaseTables = create_all(pg_engine, case_tables(prefix=PREFIX))
    sealer = Sealer({"k": KEY}) if sealed else None
    work = bench_workload(12)
    store = SqlCaseStore(pg_engine, work.workflows, tables=tables, sealer=sealer)
    assert not store._driver.watched()  # the save takes the driver's path
    for versions in work.versions.values():
        store.add(versions[0])
        for before, after in itertools.pairwise(versions):
            store.save(after, expected_version=before.version)
            with pg_engine.connect() as conn:
                stored = conn.execute(
                    sa.select(tables.cases.c.header).where(tables.cases.c.id == after.id)
                ).scalar_one()
            assert stored == old_sealed(after, sealer)
    # every save sent its header as text
    assert store._writes._save_sql
    assert all(as_text for _, _, as_text in store._writes._save_sql.values())
    for case_id, versions in work.versions.items():
        assert store.get(case_id) == versions[-1]
        assert store.verify_case(case_id) == versions[-1]


@pytest.mark.parametrize("sealed", [False, True])
def test_postgresql_refuses_unstorable_header_text_of_a_case_built_by_hand_as_before(
    pg_engine: sa.Engine, sealed: bool
) -> None:
    # what the driver's own JSON dumps did: a lone surrogate escaped for the server to
    # refuse (DataError), or refused while sealing (UnicodeEncodeError); a NUL escaped
    tables = create_all(pg_engine, case_tables(prefix=PREFIX))
    work = bench_workload(3)
    versions = max(work.versions.values(), key=len)
    store = SqlCaseStore(
        pg_engine, work.workflows, tables=tables, sealer=Sealer({"k": KEY}) if sealed else None
    )
    store.add(versions[0])
    after = versions[1]
    surrogate = sa.exc.DataError if not sealed else UnicodeEncodeError
    bad = [
        (attrs.evolve(after, attributes_json='{"a":"\\ud800"}'), surrogate),
        (attrs.evolve(after, category="x\ud800"), surrogate),
        (attrs.evolve(after, channel="x\x00"), sa.exc.DataError),
    ]
    for case, error in bad:
        with pytest.raises(error):
            store.save(case, expected_version=1)
    assert store.get(after.id) == versions[0]
    store.save(after, expected_version=1)
    assert store.get(after.id) == after
