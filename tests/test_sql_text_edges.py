"""Both SQL backends behave alike on any text: every read argument of the store that no
stored case can hold (a NUL, a lone surrogate) is a migrantcare error, never the
driver's DataError or a UnicodeEncodeError (#23)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from migrantcare import Workflow, WorkingCalendar, complaint_workflow
from migrantcare.exceptions import InvalidArgumentError, MigrantCareError, WrongTypeError
from migrantcare.sql import SqlCaseStore
from tests.actors import actor
from tests.store_support import at, open_case, sql_store, sqlite_engine, truncate
from tests.strategies import LONE_SURROGATES, valid_texts

#: Texts with a NUL or a lone surrogate somewhere.
unstorable = st.one_of(
    st.tuples(valid_texts, st.just("\x00"), valid_texts).map("".join),
    st.tuples(valid_texts, LONE_SURROGATES, valid_texts).map("".join),
)


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return complaint_workflow()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    wf: Workflow,
    cal_wita: WorkingCalendar,
) -> Iterator[SqlCaseStore]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("edges") / "cases.db"
        engine = sqlite_engine(str(path))
        yield sql_store(engine, wf, cal_wita)
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate(engine)
        yield sql_store(engine, wf, cal_wita)


def reads(store: SqlCaseStore) -> dict[str, Callable[[str], object]]:
    """Every read of the store that takes a text, given that text."""

    def in_transaction(read: Callable[[sa.Connection, str], object]) -> Callable[[str], object]:
        def run(text: str) -> object:
            with store.transaction() as conn:
                return read(conn, text)

        return run

    return {
        "get": store.get,
        "history": store.history,
        "query office": lambda t: store.query(office=t),
        "query state": lambda t: store.query(state=t),
        "query after": lambda t: store.query(after=t),
        "query calendar": lambda t: store.query(calendar_version_not=t),
        "iter_cases": lambda t: list(store.iter_cases(office=t)),
        "export_jsonl": lambda t: store.export_jsonl(io.StringIO(), office=t),
        "erase_person": lambda t: store.erase_person(t, at=at(9), by=actor("dpo-1")),
        "get_in": in_transaction(store.get_in),
        "get_in locked": in_transaction(lambda c, t: store.get_in(c, t, lock=True)),
        "load_many_in": in_transaction(lambda c, t: store.load_many_in(c, [t])),
        "get_many": lambda t: store.get_many([t]),
    }


READS = [
    "get",
    "history",
    "query office",
    "query state",
    "query after",
    "query calendar",
    "iter_cases",
    "export_jsonl",
    "erase_person",
    "get_in",
    "get_in locked",
    "load_many_in",
    "get_many",
]


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize(
    "text", ["PGD\x00-1", "\x00", "PGD-\ud800"], ids=["nul", "nul-only", "sur"]
)
def test_every_read_refuses_unstorable_text_with_a_migrantcare_error(
    store: SqlCaseStore, read: str, text: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"NUL character|lone surrogate"):
        reads(store)[read](text)


@pytest.mark.parametrize("ids", ["PGD-1", b"PGD-1", None, 7, [["PGD-1"]], [None], [7]], ids=repr)
def test_many_ids_must_be_a_list_of_texts(store: SqlCaseStore, ids: object) -> None:
    # a lone id would be a sequence of one-letter ids; an unhashable id a bare TypeError
    with pytest.raises(WrongTypeError):
        store.get_many(ids)  # type: ignore[arg-type]
    with pytest.raises(WrongTypeError), store.transaction() as conn:
        store.load_many_in(conn, ids)  # type: ignore[arg-type]


def test_hostile_read_arguments_never_escape_as_driver_errors(
    store: SqlCaseStore, wf: Workflow, cal_wita: WorkingCalendar
) -> None:
    store.add(open_case(wf, cal_wita, "PGD-1"))
    every = reads(store)

    @given(text=unstorable, read=st.sampled_from(READS))
    def check(text: str, read: str) -> None:
        with pytest.raises(MigrantCareError):
            every[read](text)

    check()
    assert store.get("PGD-1").version == 1  # nothing was changed
