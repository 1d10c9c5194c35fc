"""A transactional outbox of notices, beside the case store's tables.

Every save that goes through :class:`Outbox` inserts the notices of the new events into
the outbox table in the same transaction as the events: a notice exists if and only if
its event does. Senders claim pending notices with ``FOR UPDATE SKIP LOCKED`` (any
number of them, on any number of machines), deliver them through the host's channel and
mark each one sent or failed; a failed delivery is retried later with a growing delay.

Delivery is at-least-once: a sender that dies after its gateway accepted a message but
before its batch committed leaves that notice pending, and another sender delivers it
again. Each notice carries a stable idempotency key (a hash of the event's hash, the
message key, the recipient and the channel) for the gateway to drop such repeats.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from migrantcare.cases._notices import Notice, notices
from migrantcare.cases._store import DEFAULT_RETRIES, CaseSummary, update_case
from migrantcare.cases._workflow import Workflow, office_at
from migrantcare.exceptions import (
    InvalidArgumentError,
    WrongTypeError,
)
from migrantcare.messages._messages import Messages
from migrantcare.offices._actors import Actor
from migrantcare.records._case import Case, CaseEvent, utc
from migrantcare.sql._capability import TransactionalStore
from migrantcare.sql._outbox_table import (
    MAX_ERROR,
    aware,
    outbox_table,
)

_UTC = _dt.timezone.utc
#: The statuses of an outbox row: waiting (or waiting for a retry), delivered, given up.
STATUSES: Final = ("pending", "sent", "failed")
_MAX_ERROR = MAX_ERROR
_ZONE_FALLBACK: Final = "Asia/Jakarta"
#: Failed deliveries (ids, keys, counts: never a text or a number).
_log = logging.getLogger("migrantcare.sql.outbox")


@attrs.frozen
class Route:
    """How one notice reaches its recipient: the channel, the language and the zone.

    Attributes:
        channel: The host's channel name (``"sms"``, ``"whatsapp"``, ``"email"``,
            ``"letter"``…); a catalog variant of that name is used when the notice has
            one (e.g. the short ``.sms`` text).
        locale: The recipient's language (``"id"``, ``"en"``, or a tag
            :meth:`Messages.negotiate` resolves).
        tz: The recipient's IANA zone (a worker abroad reads times in her own zone);
            ``None``: the zone of the case's office.
    """

    channel: str
    locale: str = "id"
    tz: str | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("channel", "locale"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > 35:
                raise InvalidArgumentError(
                    f"route {name} must be a non-empty str of at most 35 characters, "
                    f"got {value!r:.60}"
                )
        if self.tz is not None and not isinstance(self.tz, str):
            raise WrongTypeError(f"route tz must be a str or None, got {type(self.tz).__name__}")


#: Decides the routes of a notice: ``router(case, notice) -> routes`` (none: not sent).
Router = Callable[[Case, Notice], Iterable[Route]]


def default_router(case: Case, notice: Notice) -> tuple[Route, ...]:
    """One route per notice: in Indonesian, in the office's zone.

    The channel is ``"sms"`` when the notice has an SMS variant, ``"message"``
    otherwise. Hosts that know each recipient's language, zone and channels (a worker in
    Hong Kong reading English on WhatsApp) pass their own router.
    """
    del case
    return (Route("sms" if "sms" in notice.channels else "message"),)


def idempotency_key(event_hash: str, message_key: str, recipient: str, channel: str) -> str:
    """The stable key of one delivery: the same event, message, recipient and channel.

    Examples:
        >>> len(idempotency_key("ab" * 32, "sla.breach", "officer", "sms"))
        64
    """
    raw = "\x1f".join((event_hash, message_key, recipient, channel)).encode()
    return hashlib.sha256(raw).hexdigest()


@attrs.frozen
class Backoff:
    """The delay before retrying a failed delivery: ``first * factor**(n-1)``, capped.

    Attributes:
        first: The delay after the first failure.
        factor: How much each further failure multiplies it.
        cap: The longest delay.
        max_attempts: After this many failed attempts the notice is ``"failed"`` (given
            up; it stays in the table for a person to look at).

    Examples:
        >>> b = Backoff(first=_dt.timedelta(seconds=30), factor=2.0)
        >>> tuple(int(b.delay(n).total_seconds()) for n in (1, 2, 3))
        (30, 60, 120)
    """

    first: _dt.timedelta = _dt.timedelta(seconds=30)
    factor: float = 2.0
    cap: _dt.timedelta = _dt.timedelta(hours=6)
    max_attempts: int = 10

    def __attrs_post_init__(self) -> None:
        if self.first <= _dt.timedelta(0) or self.cap < self.first:
            raise InvalidArgumentError(
                f"backoff needs 0 < first <= cap, got first={self.first}, cap={self.cap}"
            )
        if not self.factor >= 1.0:
            raise InvalidArgumentError(f"backoff factor must be >= 1, got {self.factor}")
        if isinstance(self.max_attempts, bool) or not (
            isinstance(self.max_attempts, int) and self.max_attempts >= 1
        ):
            raise InvalidArgumentError(
                f"max_attempts must be an int >= 1, got {self.max_attempts!r}"
            )

    def delay(self, attempts: int) -> _dt.timedelta:
        """The delay after the ``attempts``-th failure (1 for the first)."""
        seconds = self.first.total_seconds() * self.factor ** max(0, attempts - 1)
        return min(self.cap, _dt.timedelta(seconds=min(seconds, self.cap.total_seconds())))


@attrs.frozen
class OutboxNotice:
    """A notice claimed from the outbox, ready to deliver.

    Attributes:
        id: The outbox row id.
        idempotency_key: Pass it to the gateway so a repeat is dropped there.
        case_id: The case it is about.
        event_seq: The event that produced it.
        message_key: The message key (e.g. ``"sla.breach"``).
        recipient: Who it is for (a role: ``"complainant"``, ``"officer"``…); the host
            resolves the address (the case's persons, its staff directory).
        channel: The route's channel.
        locale: The language it was rendered in.
        tz: The zone its times are shown in.
        office: The case's office when the notice was written.
        text: The rendered message (personal data: send it, never log it).
        attempts: Failed attempts so far.
    """

    id: int
    idempotency_key: str
    case_id: str
    event_seq: int
    message_key: str
    recipient: str
    channel: str
    locale: str
    tz: str
    office: str
    text: str = attrs.field(repr=False)
    attempts: int


@attrs.frozen
class OutboxCounts:
    """How many notices are in each status (see :meth:`Outbox.counts`)."""

    pending: int
    sent: int
    failed: int
    retrying: int
    """Pending notices that failed at least once."""


class NoticeBatch:
    """Notices claimed by one sender, locked until the batch ends (see :meth:`Outbox.claim`).

    Mark each notice :meth:`sent` or :meth:`failed`; when the ``with`` block ends the
    marks are written and the transaction commits. A notice left unmarked stays pending
    (its attempts unchanged). If the block raises, or the process dies, nothing is
    marked and every notice of the batch is pending again for the next sender.
    """

    def __init__(
        self, outbox: Outbox, conn: sa.Connection, notices: Sequence[OutboxNotice], at: _dt.datetime
    ) -> None:
        self._outbox = outbox
        self._conn = conn
        self._at = at
        self.notices: tuple[OutboxNotice, ...] = tuple(notices)
        self._ids = {n.id: n for n in self.notices}
        self._sent: list[int] = []
        self._failed: dict[int, str] = {}

    def __iter__(self) -> Iterator[OutboxNotice]:
        return iter(self.notices)

    def __len__(self) -> int:
        return len(self.notices)

    def _check(self, notice: OutboxNotice) -> int:
        if not isinstance(notice, OutboxNotice) or self._ids.get(notice.id) is not notice:
            raise InvalidArgumentError("that notice was not claimed in this batch")
        if notice.id in self._failed or notice.id in self._sent:
            raise InvalidArgumentError(f"outbox notice {notice.id} is already marked")
        return notice.id

    def sent(self, notice: OutboxNotice) -> None:
        """Mark ``notice`` delivered."""
        self._sent.append(self._check(notice))

    def failed(self, notice: OutboxNotice, reason: str) -> None:
        """Mark a failed delivery; it is retried after the outbox's backoff.

        Args:
            notice: The notice.
            reason: Why (the gateway's status): stored and shown to operators, so it must
                not contain the message text or the recipient's number.
        """
        if not isinstance(reason, str):
            raise WrongTypeError(f"reason must be a str, got {type(reason).__name__}")
        self._failed[self._check(notice)] = reason[:_MAX_ERROR]

    def _flush(self) -> None:
        t = self._outbox.table
        conn = self._conn
        if self._sent:
            conn.execute(
                t.update()
                .where(t.c.id.in_(sa.bindparam("ids", expanding=True)))
                .values(status="sent", sent_at=self._at, attempts=t.c.attempts + 1),
                {"ids": self._sent},
            )
        if self._failed:
            backoff = self._outbox.backoff
            rows = []
            for row_id, reason in self._failed.items():
                notice = self._ids[row_id]
                attempts = notice.attempts + 1
                given_up = attempts >= backoff.max_attempts
                # ids, keys and counts only: the reason is the gateway's status, which
                # the caller keeps free of the text and the number (see failed())
                _log.warning(
                    "notice %d of case %r (%s, %s) not delivered, attempt %d: %s",
                    row_id,
                    notice.case_id,
                    notice.message_key,
                    notice.channel,
                    attempts,
                    "given up" if given_up else "retried later",
                    extra={
                        "notice_id": row_id,
                        "case_id": notice.case_id,
                        "message_key": notice.message_key,
                        "channel": notice.channel,
                        "attempts": attempts,
                        "given_up": given_up,
                    },
                )
                rows.append(
                    {
                        "b_id": row_id,
                        "b_attempts": attempts,
                        "b_status": "failed" if attempts >= backoff.max_attempts else "pending",
                        "b_next": self._at + backoff.delay(attempts),
                        "b_error": reason,
                    }
                )
            conn.execute(
                t.update()
                .where(t.c.id == sa.bindparam("b_id"))
                .values(
                    attempts=sa.bindparam("b_attempts"),
                    status=sa.bindparam("b_status"),
                    next_attempt_at=sa.bindparam("b_next"),
                    last_error=sa.bindparam("b_error"),
                ),
                rows,
            )


def _row_notice(row: Any) -> OutboxNotice:
    return OutboxNotice(
        row.id,
        row.idempotency_key,
        row.case_id,
        row.event_seq,
        row.message_key,
        row.recipient,
        row.channel,
        row.locale,
        row.tz,
        row.office,
        row.body,
        row.attempts,
    )


class Outbox:
    """The notices of every save, written with the events; claimed by senders.

    Save through the outbox (:meth:`add`, :meth:`save`, or :meth:`write_in` inside
    your own :meth:`SqlCaseStore.transaction`) and each new event's notices (see
    :func:`migrantcare.notices`) are rendered for their routes and inserted in the same
    transaction. It satisfies :class:`migrantcare.CaseStore` (``get`` and ``query`` are
    the store's), so a service can use it wherever it used the store.

    Args:
        store: The case store (its engine and tables).
        messages: The catalogs notices are rendered with (default:
            :meth:`Messages.default`).
        router: Which routes (channel, language, zone) each notice takes
            (default: :func:`default_router`).
        backoff: The retry delays of failed deliveries.
        contact: The contact line in acknowledgements (see :func:`migrantcare.notices`).
    """

    def __init__(
        self,
        store: TransactionalStore,
        *,
        messages: Messages | None = None,
        router: Router = default_router,
        backoff: Backoff | None = None,
        contact: str | None = None,
    ) -> None:
        if not isinstance(store, TransactionalStore):
            raise WrongTypeError(
                f"store must be a SqlCaseStore (or another TransactionalStore), got "
                f"{type(store).__name__}"
            )
        self.store = store
        self.table = outbox_table(store.tables)
        self.messages = Messages.default() if messages is None else messages
        self.router = router
        self.backoff = Backoff() if backoff is None else backoff
        self._contact = contact
        # pass the store's workflows through, as (name, version) -> workflow
        self._workflows = {(w.name, w.version): w for w in store.workflows}
        t = self.table
        self._insert: Any
        if store.engine.dialect.name == "postgresql":
            self._insert = postgresql.insert(t).on_conflict_do_nothing(
                index_elements=[t.c.idempotency_key]
            )
        elif store.engine.dialect.name == "sqlite":
            self._insert = sqlite.insert(t).on_conflict_do_nothing(
                index_elements=[t.c.idempotency_key]
            )
        else:  # pragma: no cover - other dialects: a duplicate key is an error
            self._insert = t.insert()
        self._claim = (
            sa.select(
                t.c.id,
                t.c.idempotency_key,
                t.c.case_id,
                t.c.event_seq,
                t.c.message_key,
                t.c.recipient,
                t.c.channel,
                t.c.locale,
                t.c.tz,
                t.c.office,
                t.c.body,
                t.c.attempts,
            )
            .where(t.c.status == "pending", t.c.next_attempt_at <= sa.bindparam("b_at"))
            .order_by(t.c.next_attempt_at, t.c.id)
            .limit(sa.bindparam("b_limit"))
            .with_for_update(skip_locked=True)
        )

    # ------------------------------------------------------------------ writing

    def workflow_for(self, case: Case) -> Workflow:
        """The store's workflow the case runs on (by name and version)."""
        try:
            return self._workflows[case.workflow, case.workflow_version]
        except KeyError:
            raise InvalidArgumentError(
                f"case {case.id!r} runs on workflow {case.workflow!r} "
                f"v{case.workflow_version}, which the store was not given; known: "
                f"{sorted(f'{n} v{v}' for n, v in self._workflows)}"
            ) from None

    def rows_for(self, case: Case, events: Iterable[CaseEvent]) -> list[dict[str, Any]]:
        """The outbox rows of ``events`` (new events of ``case``), rendered for their routes."""
        workflow = self.workflow_for(case)
        bound = workflow.offices is not None
        # Unbound workflows: the store's calendar of the office (re-rendering notices of
        # an earlier event among several new ones may need its deadlines). Bound ones
        # take each event's calendar from the offices: the one truth.
        calendar = None if bound else self.store.calendar_for(case.office)
        kwargs: dict[str, Any] = {} if self._contact is None else {"contact": self._contact}
        out: list[dict[str, Any]] = []
        for event in events:
            # the zone of the office that held the case at the event
            office = office_at(case, event.seq)
            if bound:
                zone = workflow.calendar_of(office).tz
            else:
                zone = calendar.tz if calendar is not None else _ZONE_FALLBACK
            for notice in notices(workflow, case, event, calendar=calendar, **kwargs):
                for route in self.router(case, notice):
                    if not isinstance(route, Route):
                        raise WrongTypeError(
                            f"the router must give Route values, got {type(route).__name__}"
                        )
                    tz = zone if route.tz is None else route.tz
                    variant = route.channel if route.channel in notice.channels else None
                    text = notice.render(self.messages, route.locale, tz=tz, channel=variant)
                    out.append(
                        {
                            "idempotency_key": idempotency_key(
                                event.hash, notice.key, notice.recipient, route.channel
                            ),
                            "case_id": case.id,
                            "event_seq": event.seq,
                            "event_hash": event.hash,
                            "message_key": notice.key,
                            "recipient": notice.recipient,
                            "channel": route.channel,
                            "locale": route.locale,
                            "tz": tz,
                            "office": office,
                            "body": text,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": event.at,
                            "created_at": event.at,
                        }
                    )
        return out

    def insert_in(self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert outbox rows (from :meth:`rows_for`) on the caller's connection."""
        if rows:
            conn.execute(self._insert, list(rows))

    def write_in(self, conn: sa.Connection, case: Case, events: Iterable[CaseEvent]) -> int:
        """Write the notices of ``events`` in the caller's transaction; return how many.

        Pass the events :meth:`SqlCaseStore.save_in` returned, on the same connection
        (from :meth:`SqlCaseStore.transaction`): the change and its notices commit or
        roll back together. The how-to "Run the SLA sweep and send notices with several
        workers" shows it whole.
        """
        rows = self.rows_for(case, events)
        self.insert_in(conn, rows)
        return len(rows)

    def add(self, case: Case) -> None:
        """Store a new case and the notices of all its events, in one transaction.

        Raises:
            CaseExistsError: a case with that id is already stored (a
                :class:`StaleCaseError`).
        """
        with self.store.transaction() as conn:
            self.store.add_in(conn, case)
            self.write_in(conn, case, case.events)

    def save(self, case: Case, *, expected_version: int) -> None:
        """Save a changed case (see :meth:`SqlCaseStore.save`) and its new notices together.

        Raises:
            StaleCaseError: another writer saved first; nothing was written.
        """
        with self.store.transaction() as conn:
            new = self.store.save_in(conn, case, expected_version=expected_version)
            self.write_in(conn, case, new)

    def get(self, case_id: str) -> Case:
        """The stored case (see :meth:`SqlCaseStore.get`)."""
        return self.store.get(case_id)

    def update(
        self, case_id: str, change: Callable[[Case], Case], *, retries: int = DEFAULT_RETRIES
    ) -> Case:
        """Load, apply ``change``, save with the new notices; again on a concurrent save.

        :func:`migrantcare.update_case` on this outbox: each save writes the case and the
        notices of its new events in one transaction.

        Raises:
            CaseNotFoundError: no case has that id.
            StaleCaseError: other writers saved first on every attempt.
        """
        return update_case(self, case_id, change, retries=retries)

    def query(self, **filters: Any) -> list[CaseSummary]:
        """Summaries of stored cases (see :meth:`SqlCaseStore.query`)."""
        return self.store.query(**filters)

    # ------------------------------------------------------------------ sending

    @contextmanager
    def claim(self, limit: int = 100, *, at: _dt.datetime) -> Iterator[NoticeBatch]:
        """Claim up to ``limit`` notices due at ``at``, locked for this sender.

        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: concurrent senders get disjoint
        batches and never wait for each other. The rows stay locked (and the transaction
        open) until the ``with`` block ends, so keep batches small enough to deliver in
        seconds. On SQLite the batch holds the database's write lock (one sender).

        Args:
            limit: The most notices to claim.
            at: The current instant: notices whose next attempt is later wait.

        Yields:
            The batch: iterate over it, deliver each notice with its idempotency key,
            and mark it with :meth:`NoticeBatch.sent` or :meth:`NoticeBatch.failed`.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise InvalidArgumentError(f"limit must be an int from 1 to 10000, got {limit!r}")
        when = utc(at, "at")
        with self.store.transaction() as conn:
            rows = conn.execute(self._claim, {"b_at": when, "b_limit": limit}).all()
            batch = NoticeBatch(self, conn, [_row_notice(r) for r in rows], when)
            yield batch
            batch._flush()

    def claim_notices(
        self, limit: int = 100, *, at: _dt.datetime
    ) -> AbstractContextManager[NoticeBatch]:
        """The same as :meth:`claim` (the name the outbox's design notes use)."""
        return self.claim(limit, at=at)

    def counts(self, *, at: _dt.datetime | None = None) -> OutboxCounts:
        """How many notices are pending (due by ``at``, if given), sent and failed."""
        t = self.table
        # one parameter-free expression, so PostgreSQL sees the same one in both clauses
        retried = sa.case((t.c.attempts > sa.literal_column("0"), 1), else_=0)
        stmt = sa.select(t.c.status, retried.label("retried"), sa.func.count()).group_by(
            t.c.status, retried
        )
        if at is not None:
            stmt = stmt.where(sa.or_(t.c.status != "pending", t.c.next_attempt_at <= utc(at, "at")))
        got = {"pending": 0, "sent": 0, "failed": 0, "retrying": 0}
        with self.store.engine.connect() as conn:
            for status, retried, n in conn.execute(stmt):
                got[status] += n
                if status == "pending" and retried:
                    got["retrying"] += n
        return OutboxCounts(**got)

    def next_attempt_at(self) -> _dt.datetime | None:
        """The earliest next attempt of a pending notice, or ``None``."""
        t = self.table
        stmt = sa.select(sa.func.min(t.c.next_attempt_at)).where(t.c.status == "pending")
        with self.store.engine.connect() as conn:
            value = conn.execute(stmt).scalar_one_or_none()
        return aware(value)

    # ------------------------------------------------------------------ erasure

    def erase_person(
        self,
        case_id: str,
        *,
        at: _dt.datetime,
        by: Actor,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Erase a case's personal data and the texts of its notices, in one transaction.

        Notices not yet sent are given up (``"failed"``, reason ``"erased"``): they
        would carry the erased names. See :meth:`SqlCaseStore.erase_person` (and its
        ``expected_version``).
        """
        with self.store.transaction() as conn:
            # the store's erasure scrubs this outbox's table too: one erasure path
            return self.store.erase_in(
                conn, case_id, at=at, by=by, note=note, expected_version=expected_version
            )

    def purge_sent(self, *, before: _dt.datetime) -> int:
        """Delete notices sent before ``before``; return how many (keep the outbox small)."""
        t = self.table
        with self.store.transaction() as conn:
            result = conn.execute(
                t.delete().where(t.c.status == "sent", t.c.sent_at < utc(before, "before"))
            )
        return int(result.rowcount)
