"""The case-store contract, and a reference in-memory store.

Hosts keep cases in their own database. :class:`CaseStore` is the contract every store
of this library satisfies (the in-memory one here, the SQL one in ``migrantcare.sql``):
get a case by id, add a new one, save a change only if the stored version is the one
the change was based on (optimistic locking), and query the columns a service needs.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from migrantcare._time import as_utc, require_aware
from migrantcare._validate import check_int, quote
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.cases._loader import CaseLoader
from migrantcare.cases._loader import check_workflows as _check_workflows
from migrantcare.cases._workflow import Workflow
from migrantcare.exceptions import (
    CaseExistsError,
    CaseNotFoundError,
    InvalidArgumentError,
    StaleCaseError,
    WrongTypeError,
)
from migrantcare.messages._jsonable import maybe_instant, read_instant
from migrantcare.records._case import Case
from migrantcare.sla._sla import next_due_at


@attrs.frozen
class CaseSummary:
    """What a query returns for one case: its indexed columns, not its history.

    Attributes:
        id: The case id.
        workflow: The workflow's name.
        workflow_version: The workflow definition's version.
        version: The number of events (the optimistic-locking version).
        state: The current state id.
        office: The handling office's id.
        calendar_version: The calendar version its deadlines rest on, if any.
        next_due_at: When an SLA mark falls due next (aware, UTC), if ever.
        head_hash: The newest event's hash.
    """

    id: str
    workflow: str
    workflow_version: int
    version: int
    state: str
    office: str
    calendar_version: str | None
    next_due_at: _dt.datetime | None
    head_hash: str

    @classmethod
    def of(cls, case: Case) -> CaseSummary:
        """Return the summary of ``case``."""
        return cls(
            case.id,
            case.workflow,
            case.workflow_version,
            case.version,
            case.state,
            case.office,
            case.calendar_version,
            next_due_at(case),
            case.head_hash,
        )

    def to_dict(self, *, tz: str | None = None) -> dict[str, Any]:
        """Return this summary as plain JSON data (schema ``json_schema("case_summary")``).

        Args:
            tz: An IANA zone to show ``next_due_at`` in (e.g. the office's); UTC when
                not given. Either way the text carries its offset.

        Examples:
            >>> import datetime as dt
            >>> due = dt.datetime(2026, 3, 5, 9, tzinfo=dt.timezone.utc)
            >>> summary = CaseSummary("C-1", "complaint", 1, 2, "verification",
            ...                       "bp3mi-ntb", None, due, "ab" * 32)
            >>> summary.to_dict(tz="Asia/Makassar")["next_due_at"]
            '2026-03-05T17:00:00+08:00'
            >>> CaseSummary.from_dict(summary.to_dict()) == summary
            True
        """
        return {
            "id": self.id,
            "workflow": self.workflow,
            "workflow_version": self.workflow_version,
            "version": self.version,
            "state": self.state,
            "office": self.office,
            "calendar_version": self.calendar_version,
            "next_due_at": maybe_instant(self.next_due_at, tz),
            "head_hash": self.head_hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseSummary:
        """Read back what :meth:`to_dict` wrote (``next_due_at`` back in UTC).

        Raises:
            InvalidArgumentError: a field is missing, or ``next_due_at`` is not ISO 8601
                with an offset.
            WrongTypeError: ``data`` is not a mapping.
        """
        if not isinstance(data, Mapping):
            raise WrongTypeError(f"expected a mapping, got {type(data).__name__}")
        fields = [f.name for f in attrs.fields(cls)]
        missing = [k for k in fields if k not in data]
        if missing:
            raise InvalidArgumentError(f"a case summary needs {', '.join(missing)}")
        due = data["next_due_at"]
        values = {k: data[k] for k in fields}
        values["next_due_at"] = None if due is None else as_utc(read_instant(due, "next_due_at"))
        return cls(**values)


@runtime_checkable
class CaseStore(Protocol):
    """What every case store does; the same contract tests run against each.

    ``get`` returns a case whose history has been checked; ``add`` stores a new case;
    ``save`` stores a changed case only if the stored version is ``expected_version``
    (compare-and-set), and never partly; ``query`` lists summaries by indexed columns.
    """

    def get(self, case_id: str) -> Case:
        """Return the stored case ``case_id``.

        Raises:
            CaseNotFoundError: no case has that id.
        """

    def add(self, case: Case) -> None:
        """Store a new case.

        Raises:
            StaleCaseError: a case with that id is already stored.
        """

    def save(self, case: Case, *, expected_version: int) -> None:
        """Store ``case`` if the stored case is at ``expected_version``.

        Raises:
            CaseNotFoundError: no case has that id (use ``add`` for new cases).
            StaleCaseError: someone else saved another version in the meantime.
        """

    def query(
        self,
        *,
        office: str | None = None,
        state: str | None = None,
        due_before: _dt.datetime | None = None,
        calendar_version_not: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[CaseSummary]:
        """Return up to ``limit`` summaries matching every filter given.

        Args:
            office: Only cases of this office.
            state: Only cases in this state.
            due_before: Only cases with an SLA mark due at or before this instant,
                soonest first.
            calendar_version_not: Only cases whose deadlines rest on another calendar
                version than this one (they need a recompute).
            after: Paging: only cases whose id sorts after this one (ignored with
                ``due_before``, which orders by due time).
            limit: The largest number of summaries returned.
        """

    def update(self, case_id: str, change: Callable[[Case], Case], *, retries: int = 3) -> Case:
        """Load the case, apply ``change`` and save it; again when another save came first.

        The loop is :func:`update_case`.

        Raises:
            CaseNotFoundError: no case has that id.
            StaleCaseError: other writers saved first on every attempt.
        """


#: The number of retries :func:`update_case` makes by default after a concurrent save.
DEFAULT_RETRIES = 3


class CaseSaver(Protocol):
    """What :func:`update_case` needs of a store: ``get`` and a compare-and-set ``save``.

    Every :class:`CaseStore` is one, and so is an outbox that saves notices with cases
    (:class:`migrantcare.sql.Outbox`).
    """

    def get(self, case_id: str) -> Case:
        """Return the stored case ``case_id``."""

    def save(self, case: Case, *, expected_version: int) -> None:
        """Store ``case`` if the stored case is at ``expected_version``."""


def update_case(
    store: CaseSaver,
    case_id: str,
    change: Callable[[Case], Case],
    *,
    retries: int = DEFAULT_RETRIES,
) -> Case:
    """Load a case, apply ``change`` to it and save the result, retrying when stale.

    The load-apply-save loop every service writes, once, for any store: the case is
    loaded, ``change`` returns the new value, and it is saved on the version it was
    loaded at. When another writer saved first (:class:`StaleCaseError` from the save),
    the loop loads the new version and applies ``change`` to it again, up to
    ``retries`` more times. Any other error, and a :class:`StaleCaseError` raised by
    ``change`` itself (e.g. a client's ``expected_version`` given to
    :meth:`~migrantcare.Workflow.fire`), leaves at once: nothing was saved.

    ``change`` may run several times, so it must not have effects of its own beyond
    returning the new case (send notices from the saved result, not from ``change``).

    Args:
        store: The store (``store.update(...)`` calls this).
        case_id: The case.
        change: Takes the case as stored, returns the changed case (the same object
            when there is nothing to change: then nothing is saved).
        retries: How many times to reload and apply again after a concurrent save.

    Returns:
        The case as saved (or as loaded, when ``change`` changed nothing).

    Raises:
        CaseNotFoundError: no case has that id.
        StaleCaseError: other writers saved first on every attempt.
        WrongTypeError: ``change`` returned something other than a Case.
        InvalidArgumentError: ``change`` returned another case (another id).

    Examples:
        >>> import datetime as dt
        >>> from migrantcare import Actor, WorkingCalendar, complaint_workflow
        >>> wf, cal = complaint_workflow(), WorkingCalendar.indonesia()
        >>> t = dt.datetime(2026, 3, 2, 2, tzinfo=dt.timezone.utc)
        >>> store = InMemoryCaseStore()
        >>> store.add(wf.open("C-1", at=t, by=Actor("cc-1", roles={"call_centre"}),
        ...                   office="bp3mi-ntt", category="unpaid_wages",
        ...                   channel="call_center", calendar=cal))
        >>> officer = Actor("o-1", roles={"officer"}, office="bp3mi-ntt")
        >>> started = store.update(
        ...     "C-1",
        ...     lambda case: wf.fire(case, "start_verification", at=t, by=officer, calendar=cal),
        ... )
        >>> started.state, store.get("C-1").version
        ('verification', 2)
    """
    check_int(retries, "retries", minimum=0)
    attempt = 0
    while True:
        case = store.get(case_id)
        new = change(case)
        if new is case:
            return case
        if not isinstance(new, Case):
            raise WrongTypeError(f"change must return a Case, got {type(new).__name__}")
        if new.id != case.id:
            raise InvalidArgumentError(
                f"change was given case {case.id!r} and returned case {new.id!r}; "
                "it must return the same case, changed"
            )
        try:
            store.save(new, expected_version=case.version)
        except StaleCaseError:
            if attempt >= retries:
                raise
            attempt += 1
        else:
            return new


def check_query(due_before: _dt.datetime | None, limit: int) -> tuple[_dt.datetime | None, int]:
    """Validate the common query arguments; return ``due_before`` in UTC and ``limit``."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise WrongTypeError(f"limit must be an int, got {type(limit).__name__}")
    if limit < 1:
        raise InvalidArgumentError(f"limit must be at least 1, got {limit}")
    when = None if due_before is None else as_utc(require_aware(due_before, "due_before"))
    return when, limit


def check_lookup(value: object, what: str) -> str:
    """Return ``value``, a text a store looks a case up by (an id, an office, a state...).

    No stored case holds a NUL or a lone surrogate (the domain refuses both), and
    PostgreSQL and its driver cannot even be asked for one: every store refuses them
    alike, before asking.

    Raises:
        WrongTypeError: ``value`` is not a ``str``.
        InvalidArgumentError: it contains a NUL character or a lone surrogate.
    """
    if type(value) is not str:
        raise WrongTypeError(f"{what} must be a str, got {type(value).__name__}")
    if "\x00" in value:
        raise InvalidArgumentError(
            f"{what} {quote(value)} contains a NUL character (U+0000); no case holds one"
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(
                f"{what} {quote(value)} contains a lone surrogate (not valid Unicode); "
                "no case holds one"
            ) from None
    return value


def check_lookups(**values: str | None) -> None:
    """:func:`check_lookup` on each value given that is not ``None``, named by its key."""
    for what, value in values.items():
        if value is not None:
            check_lookup(value, what)


class InMemoryCaseStore:
    """A thread-safe dict of cases with compare-and-set saves; satisfies :class:`CaseStore`.

    Every :meth:`get` checks the case it returns, as every store's does: its hash chain
    and states, and, given the workflows it runs on, its whole record by replaying the
    history (the core loader the SQL store uses).

    Args:
        workflows: The workflow the cases run on, or every version they ran on.
        calendar: Unbound workflows only: the calendar replays use (one, or one per
            office id).

    Examples:
        >>> store = InMemoryCaseStore()
        >>> len(store)
        0
        >>> isinstance(store, CaseStore)
        True
    """

    def __init__(
        self,
        workflows: Workflow | Iterable[Workflow] | None = None,
        *,
        calendar: WorkingCalendar | Mapping[str, WorkingCalendar] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._cases: dict[str, Case] = {}
        # Given the workflows, every get replays the case through the core loader, as
        # the SQL store's does; without them it checks the hash chain and states.
        self._loader = (
            None
            if workflows is None
            else CaseLoader(_check_workflows(workflows, Workflow), calendar)
        )

    def __len__(self) -> int:
        return len(self._cases)

    def __iter__(self) -> Iterator[Case]:
        with self._lock:
            return iter(list(self._cases.values()))

    def get(self, case_id: str) -> Case:
        """Return the stored case ``case_id``.

        Raises:
            CaseNotFoundError: no case has that id.
            InvalidArgumentError: the id holds a NUL or a lone surrogate.
            IntegrityError: the case does not verify (see the class).
        """
        if type(case_id) is str:
            check_lookup(case_id, "case_id")
        with self._lock:
            try:
                case = self._cases[case_id]
            except (KeyError, TypeError):
                raise CaseNotFoundError(f"no stored case {quote(case_id)}") from None
        if self._loader is None:
            case.verify()
        else:
            self._loader.verified(case)
        return case

    def add(self, case: Case) -> None:
        """Store a new case.

        Raises:
            WrongTypeError: ``case`` is not a Case.
            StaleCaseError: a case with that id is already stored.
        """
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        with self._lock:
            current = self._cases.get(case.id)
            if current is not None:
                raise exists(case.id, current.version)
            self._cases[case.id] = case

    def save(self, case: Case, *, expected_version: int) -> None:
        """Store ``case`` if the stored version is ``expected_version``.

        Args:
            case: The new case value.
            expected_version: The version the change was based on. (``None``, which
                added a new case, is still taken for compatibility; use :meth:`add`.)

        Raises:
            CaseNotFoundError: no case has that id and ``expected_version`` is not None.
            StaleCaseError: someone else saved a different version in the meantime.
        """
        if expected_version is None:  # compatibility: None added a new case
            self.add(case)  # type: ignore[unreachable]
            return
        if not isinstance(case, Case):
            raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
        check_int(expected_version, "expected_version", minimum=1)
        with self._lock:
            current = self._cases.get(case.id)
            if current is None:
                raise CaseNotFoundError(f"no stored case {case.id!r}; add it first")
            if current.version != expected_version:
                raise stale(case.id, expected_version, current.version)
            check_extends(current, case)
            self._cases[case.id] = case

    def query(
        self,
        *,
        office: str | None = None,
        state: str | None = None,
        due_before: _dt.datetime | None = None,
        calendar_version_not: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[CaseSummary]:
        """Return up to ``limit`` summaries matching every filter (see :class:`CaseStore`)."""
        when, limit = check_query(due_before, limit)
        check_lookups(
            office=office, state=state, after=after, calendar_version_not=calendar_version_not
        )
        with self._lock:
            cases = list(self._cases.values())
        found = []
        for case in cases:
            summary = CaseSummary.of(case)
            if office is not None and summary.office != office:
                continue
            if state is not None and summary.state != state:
                continue
            if when is not None and (summary.next_due_at is None or summary.next_due_at > when):
                continue
            if calendar_version_not is not None and summary.calendar_version in (
                None,
                calendar_version_not,
            ):
                continue
            if after is not None and when is None and summary.id <= after:
                continue
            found.append(summary)
        if when is not None:
            found.sort(key=lambda s: (s.next_due_at, s.id))
        else:
            found.sort(key=lambda s: s.id)
        return found[:limit]

    def update(
        self, case_id: str, change: Callable[[Case], Case], *, retries: int = DEFAULT_RETRIES
    ) -> Case:
        """Load the case, apply ``change`` and save it; again when another save came first.

        The loop is :func:`update_case`.

        Raises:
            CaseNotFoundError: no case has that id.
            StaleCaseError: other writers saved first on every attempt.
        """
        return update_case(self, case_id, change, retries=retries)


def stale(case_id: str, expected: int, actual: int) -> StaleCaseError:
    """Return the error for a save based on an outdated version."""
    return StaleCaseError(
        f"case {case_id!r} is stored at version {actual}, not {expected}; "
        "reload it and apply the change again",
        expected=expected,
        actual=actual,
    )


def exists(case_id: str, actual: int) -> CaseExistsError:
    """Return the error for an ``add`` of an id already stored (at version ``actual``)."""
    return CaseExistsError(
        f"case {case_id!r} is already stored (at version {actual}); load it instead of adding",
        expected=0,
        actual=actual,
    )


def check_extends(old: Case, new: Case) -> None:
    """Refuse a save that rewrites history instead of appending to it.

    Raises:
        InvalidArgumentError: ``new`` does not keep every event of ``old``.
    """
    if new.version < old.version or (
        old.events and new.events[old.version - 1].digest != old.events[-1].digest
    ):
        raise InvalidArgumentError(
            f"case {new.id!r}: the new value does not extend the stored history "
            f"(stored version {old.version}, new {new.version}); histories are append-only"
        )
