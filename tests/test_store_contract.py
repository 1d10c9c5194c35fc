"""One contract, every store: memory, a SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator

import pytest

from migrantcare import (
    CaseStore,
    Workflow,
    WorkingCalendar,
    complaint_workflow,
    erase_personal_data,
    replay,
)
from migrantcare.exceptions import (
    CaseExistsError,
    CaseNotFoundError,
    InvalidArgumentError,
    MigrantCareError,
    NaiveDatetimeError,
    StaleCaseError,
    WrongTypeError,
)
from tests.actors import actor
from tests.store_support import T0, at, each_store, open_case


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest,
    tmp_path: pathlib.Path,
    wf: Workflow,
    cal_wita: WorkingCalendar,
) -> Iterator[CaseStore]:
    yield from each_store(request, tmp_path, wf, cal_wita)


def test_satisfies_the_protocol(store: CaseStore) -> None:
    assert isinstance(store, CaseStore)


def test_add_then_get_returns_the_same_case(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    assert store.get("PGD-1") == case


def test_unknown_id_is_case_not_found(store: CaseStore) -> None:
    with pytest.raises(CaseNotFoundError, match="no stored case 'nope'") as info:
        store.get("nope")
    assert isinstance(info.value, LookupError)


def test_adding_an_existing_id_is_refused(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    with pytest.raises(CaseExistsError, match="already stored") as info:
        store.add(case)
    # an "exists" error, still a StaleCaseError so that retry loops keep working
    assert isinstance(info.value, StaleCaseError)
    assert (info.value.expected, info.value.actual) == (0, 1)
    assert info.value.http_status == 409


def test_save_appends_and_get_returns_the_new_version(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    changed = wf.fire(
        case, "start_verification", at=at(5), by=actor("officer-a"), calendar=cal_wita
    )
    twice = wf.fire(changed, "escalate", at=at(6), by=actor("officer-a"), calendar=cal_wita)
    store.save(twice, expected_version=case.version)  # two events in one save
    loaded = store.get("PGD-1")
    assert loaded == twice
    assert loaded.version == 3


def test_a_stale_save_is_refused_and_changes_nothing(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    a = wf.fire(case, "start_verification", at=at(5), by=actor("officer-a"), calendar=cal_wita)
    b = wf.fire(case, "escalate", at=at(5), by=actor("officer-b"), calendar=cal_wita)
    store.save(a, expected_version=1)
    with pytest.raises(StaleCaseError, match="stored at version 2, not 1") as info:
        store.save(b, expected_version=1)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert store.get("PGD-1") == a


def test_saving_an_unknown_case_is_case_not_found(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    changed = wf.fire(case, "escalate", at=at(5), by=actor("officer-a"), calendar=cal_wita)
    with pytest.raises(CaseNotFoundError):
        store.save(changed, expected_version=1)


def test_a_save_that_rewrites_history_is_refused(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    first = open_case(wf, cal_wita, "PGD-1")
    store.add(first)
    v2 = wf.fire(first, "escalate", at=at(5), by=actor("officer-a"), calendar=cal_wita)
    store.save(v2, expected_version=1)
    # another history of the same id, one event longer than what is stored
    other = wf.fire(first, "start_verification", at=at(5), by=actor("officer-b"), calendar=cal_wita)
    other = wf.fire(other, "escalate", at=at(6), by=actor("officer-b"), calendar=cal_wita)
    with pytest.raises(InvalidArgumentError, match="does not extend the stored history"):
        store.save(other, expected_version=2)
    assert store.get("PGD-1") == v2


def test_erased_persons_are_tombstones_and_the_case_still_replays(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    erased = erase_personal_data(case, at=at(9), by=actor("dpo-1"))
    store.save(erased, expected_version=case.version)
    loaded = store.get("PGD-1")
    assert loaded == erased
    assert loaded.complainant is not None
    assert loaded.complainant.passport_number is None
    assert loaded.complainant.name == "<erased>"
    loaded.verify(head_hash=loaded.head_hash)
    assert replay(loaded, wf, calendar=cal_wita) == loaded


def test_query_by_office_and_state_pages_by_id(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    for i in range(7):
        office = "bp3mi-ntt" if i % 2 == 0 else "bp3mi-ntb"
        case = open_case(wf, cal_wita, f"PGD-{i}", office=office)
        if i == 4:
            case = wf.fire(case, "start_verification", at=at(5), by=actor("o"), calendar=cal_wita)
        store.add(case)
    ntt = store.query(office="bp3mi-ntt")
    assert [s.id for s in ntt] == ["PGD-0", "PGD-2", "PGD-4", "PGD-6"]
    assert [s.id for s in store.query(office="bp3mi-ntt", state="registered")] == [
        "PGD-0",
        "PGD-2",
        "PGD-6",
    ]
    assert [s.state for s in store.query(office="bp3mi-ntt", state="verification")] == [
        "verification"
    ]
    page1 = store.query(limit=3)
    page2 = store.query(limit=3, after=page1[-1].id)
    page3 = store.query(limit=3, after=page2[-1].id)
    assert [s.id for s in page1 + page2 + page3] == [f"PGD-{i}" for i in range(7)]
    summary = store.query(office="bp3mi-ntb", limit=1)[0]
    case = store.get(summary.id)
    assert (summary.version, summary.head_hash, summary.workflow) == (
        case.version,
        case.head_hash,
        "complaint",
    )


def test_query_due_before_lists_soonest_first(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    dues = {}
    for i in range(4):
        case = open_case(wf, cal_wita, f"PGD-{i}")
        case = wf.fire(case, "escalate", at=at(60 * (3 - i)), by=actor("o"), calendar=cal_wita)
        store.add(case)
        dues[case.id] = wf.next_due_at(case)
    assert all(d is not None for d in dues.values())
    ordered = sorted(dues, key=lambda k: (dues[k], k))
    everything = store.query(due_before=max(d for d in dues.values() if d))
    assert [s.id for s in everything] == ordered
    assert everything[0].next_due_at == dues[ordered[0]]
    assert (
        store.query(due_before=min(d for d in dues.values() if d) - dt.timedelta(seconds=1)) == []
    )


def test_query_by_stale_calendar_version(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-1"))
    assert cal_wita.version
    assert store.query(calendar_version_not=cal_wita.version) == []
    assert [s.id for s in store.query(calendar_version_not="older")] == ["PGD-1"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": 0}, InvalidArgumentError),
        ({"limit": "5"}, WrongTypeError),
        ({"due_before": dt.datetime(2026, 3, 2)}, NaiveDatetimeError),
    ],
)
def test_query_refuses_bad_arguments(
    store: CaseStore, kwargs: dict[str, object], error: type[MigrantCareError]
) -> None:
    with pytest.raises(error):
        store.query(**kwargs)  # type: ignore[arg-type]


def test_first_writer_wins_from_the_same_version(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    wins, stale = 0, 0
    for officer in ("a", "b", "c"):
        change = wf.fire(
            case, "escalate", at=at(5), by=actor(f"officer-{officer}"), calendar=cal_wita
        )
        try:
            store.save(change, expected_version=case.version)
            wins += 1
        except StaleCaseError:
            stale += 1
    assert (wins, stale) == (1, 2)
    assert store.get("PGD-1").events[-1].by == "officer-a"
    assert store.get("PGD-1").opened_at == T0


# ---------------------------------------------------------------- text no store can hold

#: Texts every store refuses alike: PostgreSQL cannot store a NUL, and a lone surrogate
#: is not Unicode any driver can send.
UNSTORABLE = ["PGD\x00-1", "\x00", "PGD-\ud800", "\udfff"]


@pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "only-nul", "surrogate", "low"])
def test_reads_with_unstorable_text_raise_a_migrantcare_error(store: CaseStore, text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=r"NUL character|lone surrogate"):
        store.get(text)
    for field in ("office", "state", "after", "calendar_version_not"):
        with pytest.raises(InvalidArgumentError, match=field):
            store.query(**{field: text})  # type: ignore[arg-type]


@pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "only-nul", "surrogate", "low"])
def test_a_case_with_unstorable_text_is_refused_before_any_store(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar, text: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"NUL character|lone surrogate"):
        wf.open(
            "PGD-1",
            at=T0,
            by=actor("callcenter-01"),
            office="bp3mi-ntt",
            category="unpaid_wages",
            channel="whatsapp",
            attributes={"kota": text},
            calendar=cal_wita,
        )
    case = open_case(wf, cal_wita, "PGD-1")
    with pytest.raises(InvalidArgumentError, match=r"NUL character|lone surrogate"):
        wf.fire(case, "escalate", at=at(1), by=actor("officer-a"), note=text, calendar=cal_wita)
    store.add(case)
    assert store.get("PGD-1") == case


# ---------------------------------------------------------------- clock skew


@pytest.mark.parametrize("skew", [dt.timedelta(milliseconds=1), dt.timedelta(seconds=5)])
def test_an_event_slightly_before_the_last_one_is_recorded_at_the_last_instant(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar, skew: dt.timedelta
) -> None:
    # two servers whose clocks differ by up to CLOCK_SKEW: the later write of the two
    # carries an instant a little before the event the other one saved
    from migrantcare import CLOCK_SKEW  # noqa: PLC0415

    assert skew <= CLOCK_SKEW
    case = open_case(wf, cal_wita, "PGD-1")
    store.add(case)
    first = wf.fire(case, "escalate", at=at(10), by=actor("officer-a"), calendar=cal_wita)
    store.save(first, expected_version=1)
    loaded = store.get("PGD-1")
    second = wf.fire(loaded, "escalate", at=at(10) - skew, by=actor("officer-b"), calendar=cal_wita)
    assert second.events[-1].at == first.events[-1].at  # clamped: the trail stays in order
    store.save(second, expected_version=2)
    assert store.get("PGD-1") == second
    assert replay(store.get("PGD-1"), wf, calendar=cal_wita) == second
    moved = erase_personal_data(second, at=at(10) - skew, by=actor("dpo-1"))
    assert moved.events[-1].at == first.events[-1].at


def test_an_event_further_before_the_last_one_than_the_skew_is_refused(
    store: CaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    from migrantcare import CLOCK_SKEW  # noqa: PLC0415

    case = wf.fire(
        open_case(wf, cal_wita, "PGD-1"), "escalate", at=at(10), by=actor("officer-a"),
        calendar=cal_wita,
    )  # fmt: skip
    store.add(case)
    with pytest.raises(InvalidArgumentError, match="time order") as info:
        wf.fire(
            case, "escalate", at=at(10) - CLOCK_SKEW - dt.timedelta(microseconds=1),
            by=actor("officer-a"), calendar=cal_wita,
        )  # fmt: skip
    assert "5 seconds" in str(info.value)
    with pytest.raises(InvalidArgumentError, match="time order"):
        erase_personal_data(case, at=at(9), by=actor("dpo-1"))
