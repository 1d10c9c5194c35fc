"""Test support: a throwaway PostgreSQL cluster, and the store contract as tests.

:class:`CaseStoreContract` is the :class:`~migrantcare.CaseStore` contract as a test
class a store of your own subclasses (every store of this library passes it).

``TemporaryPostgres`` runs ``initdb`` and ``pg_ctl`` from the machine's PostgreSQL in a
temporary directory, listening only on a Unix socket there, and removes it all when
stopped. PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user (created by the distribution's package).
"""

from __future__ import annotations

import datetime as _dt
import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._erasure import erase_personal_data
from migrantcare.cases._replay import replay
from migrantcare.cases._store import CaseStore
from migrantcare.cases._workflow import Workflow
from migrantcare.definitions._standard import complaint_workflow
from migrantcare.exceptions import (
    CaseExistsError,
    CaseNotFoundError,
    InvalidArgumentError,
    MigrantCareError,
    NaiveDatetimeError,
    StaleCaseError,
    WrongTypeError,
)
from migrantcare.offices._actors import Actor
from migrantcare.records._case import CLOCK_SKEW, Case, Person

__all__ = ["T0", "UNSTORABLE", "CaseStoreContract", "TemporaryPostgres", "find_postgres_bin"]


def find_postgres_bin() -> Path | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or ``None`` if not found.

    Looks at ``$MIGRANTCARE_PG_BIN``, then ``PATH``, then Debian's
    ``/usr/lib/postgresql/<major>/bin`` (newest major first).
    """
    candidates: list[str] = []
    if env := os.environ.get("MIGRANTCARE_PG_BIN"):
        candidates.append(env)
    if found := shutil.which("pg_ctl"):
        candidates.append(str(Path(found).parent))
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        path = Path(candidate)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


class TemporaryPostgres:
    """A PostgreSQL cluster in a temporary directory; a context manager.

    Args:
        bin_dir: Where ``initdb`` and ``pg_ctl`` are (default: :func:`find_postgres_bin`).
        durable: Keep ``fsync`` on (for benchmarks); tests may turn it off for speed.

    Attributes:
        url: The SQLAlchemy URL (``postgresql+psycopg``) of the ``postgres`` database.
        socket_dir: The directory of the server's Unix socket.
    """

    def __init__(self, bin_dir: Path | None = None, *, durable: bool = True) -> None:
        found = bin_dir if bin_dir is not None else find_postgres_bin()
        if found is None:
            raise InvalidArgumentError(
                "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql "
                "or set MIGRANTCARE_PG_BIN"
            )
        self._bin = found
        self._durable = durable
        self._root: Path | None = None
        self.socket_dir = Path()
        self.url = ""

    def _run(self, *args: str) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> str:
        """Create and start the cluster; return its URL."""
        root = Path(tempfile.mkdtemp(prefix="mc-pg-"))
        self._root = root
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        data = root / "data"
        self._run(
            "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )
        options = f"-k {root} -c listen_addresses='' -p 5432"
        if not self._durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = root / "server.log"
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        self.socket_dir = root
        self.url = f"postgresql+psycopg://postgres@/postgres?host={root}&port=5432"
        return self.url

    def restart(self) -> None:
        """Restart the server (``pg_ctl restart -m fast``), as a failover or an upgrade does.

        Every open connection is closed by the server; clients find out on their next
        statement.
        """
        if self._root is None:
            raise InvalidArgumentError("the server is not running; call start() first")
        root = self._root
        # the options of the first start are kept (postmaster.opts); the log file too
        self._run(
            "pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"), "-m", "fast",
            "-w", "restart",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        root, self._root = self._root, None
        if root is None:
            return
        try:
            self._run("pg_ctl", "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ---------------------------------------------------------------- the store contract


#: Texts every store refuses alike: PostgreSQL cannot store a NUL, and a lone surrogate
#: is not Unicode any driver can send.
UNSTORABLE: Final = ("PGD\x00-1", "\x00", "PGD-\ud800", "\udfff")
#: The instant the contract's cases open at (a Monday, 09:00 in WITA).
T0: Final = _dt.datetime(2026, 3, 2, 1, 0, tzinfo=_dt.timezone.utc)
_DESK: Final = ("officer", "head_of_office", "call_centre")


class _Raised:
    value: BaseException


@contextmanager
def _raises(error: type[BaseException], match: str | None = None) -> Iterator[_Raised]:
    """Like ``pytest.raises``, without pytest (the contract runs under any runner)."""
    raised = _Raised()
    try:
        yield raised
    except error as exc:
        if match is not None and not re.search(match, str(exc)):
            raise AssertionError(f"{error.__name__} {str(exc)!r} does not match {match!r}") from exc
        raised.value = exc
        return
    raise AssertionError(f"{error.__name__} was not raised")


class CaseStoreContract:
    """The :class:`~migrantcare.CaseStore` contract, as tests any store can run.

    Every store of this library passes them (the in-memory one, the SQL one on SQLite
    and on PostgreSQL); a store of your own (another database) shows it keeps the same
    promises by passing them too. Subclass it under a name pytest collects, and give it
    a new, empty store per call of :meth:`make_store`::

        from migrantcare.sql.testing import CaseStoreContract

        class TestMyStore(CaseStoreContract):
            def make_store(self, workflow, calendar):
                return MyStore(workflow, calendar=calendar)

    The cases run on :func:`~migrantcare.complaint_workflow` with the civil-service
    calendar in WITA (override :meth:`make_workflow` and :meth:`make_calendar` to
    change either). The tests use plain ``assert`` and no fixtures, so any runner that
    collects ``test_*`` methods runs them.
    """

    _workflow: Workflow | None = None
    _calendar: WorkingCalendar | None = None

    def make_store(self, workflow: Workflow, calendar: WorkingCalendar) -> CaseStore:
        """A new, empty store for cases of ``workflow`` on ``calendar`` (override it)."""
        raise NotImplementedError("subclass CaseStoreContract and implement make_store()")

    def make_workflow(self) -> Workflow:
        """The workflow the contract's cases run on."""
        return complaint_workflow()

    def make_calendar(self) -> WorkingCalendar:
        """The calendar the contract's cases' clocks run on."""
        return WorkingCalendar.indonesia().in_zone("Asia/Makassar")

    # ------------------------------------------------------------ helpers

    @property
    def wf(self) -> Workflow:
        """The workflow (built once per class)."""
        cls = type(self)
        if cls._workflow is None:
            cls._workflow = self.make_workflow()
        return cls._workflow

    @property
    def cal(self) -> WorkingCalendar:
        """The calendar (built once per class)."""
        cls = type(self)
        if cls._calendar is None:
            cls._calendar = self.make_calendar()
        return cls._calendar

    def store(self) -> CaseStore:
        """A new store (see :meth:`make_store`)."""
        return self.make_store(self.wf, self.cal)

    @staticmethod
    def at(minutes: int) -> _dt.datetime:
        """``minutes`` after :data:`T0`."""
        return T0 + _dt.timedelta(minutes=minutes)

    @staticmethod
    def actor(actor_id: str, office: str | None = "bp3mi-ntt") -> Actor:
        """A desk of ``office``: an officer, its head and the call centre's line."""
        return Actor(actor_id, roles=_DESK, office=office)

    def open_case(self, case_id: str, *, office: str = "bp3mi-ntt") -> Case:
        """A new case of ``office`` with a complainant and a worker (personal data)."""
        return self.wf.open(
            case_id,
            at=T0,
            by=self.actor("callcenter-01"),
            office=office,
            category="unpaid_wages",
            channel="whatsapp",
            complainant=Person("Siti Aminah", passport_number="C1234567", phone="+62811000"),
            worker=Person("Dewi Lestari", kind="pmi", nik="5301010101010001"),
            calendar=self.cal,
        )

    def fire(self, case: Case, trigger: str, minutes: int, by: str = "officer-a") -> Case:
        """``case`` after ``trigger``, ``minutes`` after :data:`T0`."""
        return self.wf.fire(
            case, trigger, at=self.at(minutes), by=self.actor(by), calendar=self.cal
        )

    # ------------------------------------------------------------ get, add, save

    def test_satisfies_the_protocol(self) -> None:
        """Satisfies the protocol."""
        assert isinstance(self.store(), CaseStore)

    def test_add_then_get_returns_the_same_case(self) -> None:
        """Add then get returns the same case."""
        store, case = self.store(), self.open_case("PGD-1")
        store.add(case)
        assert store.get("PGD-1") == case

    def test_unknown_id_is_case_not_found(self) -> None:
        """Unknown id is case not found."""
        with _raises(CaseNotFoundError, match="no stored case 'nope'") as info:
            self.store().get("nope")
        assert isinstance(info.value, LookupError)

    def test_adding_an_existing_id_is_refused(self) -> None:
        """Adding an existing id is refused."""
        store, case = self.store(), self.open_case("PGD-1")
        store.add(case)
        with _raises(CaseExistsError, match="already stored") as info:
            store.add(case)
        # an "exists" error, still a StaleCaseError so that retry loops keep working
        error = info.value
        assert isinstance(error, StaleCaseError)
        assert (error.expected, error.actual) == (0, 1)
        assert error.http_status == 409

    def test_save_appends_and_get_returns_the_new_version(self) -> None:
        """Save appends and get returns the new version."""
        store, case = self.store(), self.open_case("PGD-1")
        store.add(case)
        twice = self.fire(self.fire(case, "start_verification", 5), "escalate", 6)
        store.save(twice, expected_version=case.version)  # two events in one save
        loaded = store.get("PGD-1")
        assert loaded == twice
        assert loaded.version == 3

    def test_a_stale_save_is_refused_and_changes_nothing(self) -> None:
        """A stale save is refused and changes nothing."""
        store, case = self.store(), self.open_case("PGD-1")
        store.add(case)
        a = self.fire(case, "start_verification", 5)
        b = self.fire(case, "escalate", 5, by="officer-b")
        store.save(a, expected_version=1)
        with _raises(StaleCaseError, match="stored at version 2, not 1") as info:
            store.save(b, expected_version=1)
        error = info.value
        assert isinstance(error, StaleCaseError)
        assert (error.expected, error.actual) == (1, 2)
        assert store.get("PGD-1") == a

    def test_saving_an_unknown_case_is_case_not_found(self) -> None:
        """Saving an unknown case is case not found."""
        changed = self.fire(self.open_case("PGD-1"), "escalate", 5)
        with _raises(CaseNotFoundError):
            self.store().save(changed, expected_version=1)

    def test_a_save_that_rewrites_history_is_refused(self) -> None:
        """A save that rewrites history is refused."""
        store, first = self.store(), self.open_case("PGD-1")
        store.add(first)
        v2 = self.fire(first, "escalate", 5)
        store.save(v2, expected_version=1)
        # another history of the same id, one event longer than what is stored
        other = self.fire(self.fire(first, "start_verification", 5, "officer-b"), "escalate", 6)
        with _raises(InvalidArgumentError, match="does not extend the stored history"):
            store.save(other, expected_version=2)
        assert store.get("PGD-1") == v2

    def test_erased_persons_are_tombstones_and_the_case_still_replays(self) -> None:
        """Erased persons are tombstones and the case still replays."""
        store, case = self.store(), self.open_case("PGD-1")
        store.add(case)
        erased = erase_personal_data(case, at=self.at(9), by=self.actor("dpo-1"))
        store.save(erased, expected_version=case.version)
        loaded = store.get("PGD-1")
        assert loaded == erased
        assert loaded.complainant is not None
        assert loaded.complainant.passport_number is None
        assert loaded.complainant.name == "<erased>"
        loaded.verify(head_hash=loaded.head_hash)
        assert replay(loaded, self.wf, calendar=self.cal) == loaded

    def test_first_writer_wins_from_the_same_version(self) -> None:
        """First writer wins from the same version."""
        store, case = self.store(), self.open_case("PGD-1")
        store.add(case)
        wins, stale = 0, 0
        for officer in ("a", "b", "c"):
            change = self.fire(case, "escalate", 5, by=f"officer-{officer}")
            try:
                store.save(change, expected_version=case.version)
                wins += 1
            except StaleCaseError:
                stale += 1
        assert (wins, stale) == (1, 2)
        assert store.get("PGD-1").events[-1].by == "officer-a"
        assert store.get("PGD-1").opened_at == T0

    # ------------------------------------------------------------ queries

    def test_query_by_office_and_state_pages_by_id(self) -> None:
        """Query by office and state pages by id."""
        store = self.store()
        for i in range(7):
            case = self.open_case(f"PGD-{i}", office="bp3mi-ntt" if i % 2 == 0 else "bp3mi-ntb")
            if i == 4:
                case = self.fire(case, "start_verification", 5, by="o")
            store.add(case)
        ntt = store.query(office="bp3mi-ntt")
        assert [s.id for s in ntt] == ["PGD-0", "PGD-2", "PGD-4", "PGD-6"]
        registered = store.query(office="bp3mi-ntt", state="registered")
        assert [s.id for s in registered] == ["PGD-0", "PGD-2", "PGD-6"]
        verifying = store.query(office="bp3mi-ntt", state="verification")
        assert [s.state for s in verifying] == ["verification"]
        page1 = store.query(limit=3)
        page2 = store.query(limit=3, after=page1[-1].id)
        page3 = store.query(limit=3, after=page2[-1].id)
        assert [s.id for s in page1 + page2 + page3] == [f"PGD-{i}" for i in range(7)]
        summary = store.query(office="bp3mi-ntb", limit=1)[0]
        case = store.get(summary.id)
        assert (summary.version, summary.head_hash, summary.workflow) == (
            case.version,
            case.head_hash,
            self.wf.name,
        )

    def test_query_due_before_lists_soonest_first(self) -> None:
        """Query due before lists soonest first."""
        store, dues = self.store(), {}
        for i in range(4):
            case = self.fire(self.open_case(f"PGD-{i}"), "escalate", 60 * (3 - i), by="o")
            store.add(case)
            dues[case.id] = self.wf.next_due_at(case)
        known = [d for d in dues.values() if d is not None]
        assert len(known) == len(dues)
        ordered = sorted(dues, key=lambda k: (dues[k], k))
        everything = store.query(due_before=max(known))
        assert [s.id for s in everything] == ordered
        assert everything[0].next_due_at == dues[ordered[0]]
        assert store.query(due_before=min(known) - _dt.timedelta(seconds=1)) == []

    def test_query_by_stale_calendar_version(self) -> None:
        """Query by stale calendar version."""
        store = self.store()
        store.add(self.open_case("PGD-1"))
        assert self.cal.version
        assert store.query(calendar_version_not=self.cal.version) == []
        assert [s.id for s in store.query(calendar_version_not="older")] == ["PGD-1"]

    def test_query_refuses_bad_arguments(self) -> None:
        """Query refuses bad arguments."""
        store = self.store()
        bad: list[tuple[dict[str, Any], type[MigrantCareError]]] = [
            ({"limit": 0}, InvalidArgumentError),
            ({"limit": "5"}, WrongTypeError),
            ({"due_before": _dt.datetime(2026, 3, 2)}, NaiveDatetimeError),
        ]
        for kwargs, error in bad:
            with _raises(error):
                store.query(**kwargs)

    # ------------------------------------------------------------ text no store can hold

    def test_reads_with_unstorable_text_raise_a_migrantcare_error(self) -> None:
        """Reads with unstorable text raise a migrantcare error."""
        store = self.store()
        for text in UNSTORABLE:
            with _raises(InvalidArgumentError, match=r"NUL character|lone surrogate"):
                store.get(text)
            for field in ("office", "state", "after", "calendar_version_not"):
                with _raises(InvalidArgumentError, match=field):
                    filters: dict[str, Any] = {field: text}
                    store.query(**filters)

    def test_a_case_with_unstorable_text_is_refused_before_any_store(self) -> None:
        """A case with unstorable text is refused before any store."""
        for number, text in enumerate(UNSTORABLE):
            store = self.store()
            with _raises(InvalidArgumentError, match=r"NUL character|lone surrogate"):
                self.wf.open(
                    f"PGD-{number}",
                    at=T0,
                    by=self.actor("callcenter-01"),
                    office="bp3mi-ntt",
                    category="unpaid_wages",
                    channel="whatsapp",
                    attributes={"kota": text},
                    calendar=self.cal,
                )
            case = self.open_case(f"PGD-{number}")
            with _raises(InvalidArgumentError, match=r"NUL character|lone surrogate"):
                self.wf.fire(
                    case,
                    "escalate",
                    at=self.at(1),
                    by=self.actor("officer-a"),
                    note=text,
                    calendar=self.cal,
                )
            store.add(case)
            assert store.get(f"PGD-{number}") == case

    # ------------------------------------------------------------ clock skew

    def test_an_event_slightly_before_the_last_one_is_recorded_at_the_last_instant(
        self,
    ) -> None:
        """An event slightly before the last one is recorded at the last instant."""
        # two servers whose clocks differ by up to CLOCK_SKEW: the later write of the two
        # carries an instant a little before the event the other one saved
        for skew in (_dt.timedelta(milliseconds=1), _dt.timedelta(seconds=5)):
            assert skew <= CLOCK_SKEW
            store, case = self.store(), self.open_case("PGD-1")
            store.add(case)
            first = self.fire(case, "escalate", 10)
            store.save(first, expected_version=1)
            loaded = store.get("PGD-1")
            second = self.wf.fire(
                loaded,
                "escalate",
                at=self.at(10) - skew,
                by=self.actor("officer-b"),
                calendar=self.cal,
            )
            assert second.events[-1].at == first.events[-1].at  # clamped: still in order
            store.save(second, expected_version=2)
            assert store.get("PGD-1") == second
            assert replay(store.get("PGD-1"), self.wf, calendar=self.cal) == second
            moved = erase_personal_data(second, at=self.at(10) - skew, by=self.actor("dpo-1"))
            assert moved.events[-1].at == first.events[-1].at

    def test_an_event_further_before_the_last_one_than_the_skew_is_refused(self) -> None:
        """An event further before the last one than the skew is refused."""
        store, case = self.store(), self.fire(self.open_case("PGD-1"), "escalate", 10)
        store.add(case)
        with _raises(InvalidArgumentError, match="time order") as info:
            self.wf.fire(
                case,
                "escalate",
                at=self.at(10) - CLOCK_SKEW - _dt.timedelta(microseconds=1),
                by=self.actor("officer-a"),
                calendar=self.cal,
            )
        assert "5 seconds" in str(info.value)
        with _raises(InvalidArgumentError, match="time order"):
            erase_personal_data(case, at=self.at(9), by=self.actor("dpo-1"))
