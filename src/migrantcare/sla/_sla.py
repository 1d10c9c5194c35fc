"""SLA policies and the arithmetic of their clocks.

Sources of the default figures are in ``shared/reference/complaint-handling.md`` and
cited on each policy; figures that are not confirmed law are marked ``confirmed=False``
and documented as configurable defaults.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from migrantcare._time import as_utc, micros, to_zone_fields
from migrantcare._validate import check_name, check_text, quote
from migrantcare._vocab import check_code
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.messages._jsonable import instant, maybe_instant, number, read_instant, seconds
from migrantcare.records._case import Case, utc
from migrantcare.records._sla_state import Pause, SlaClock, new_clock

if TYPE_CHECKING:
    from migrantcare.records._case import CaseEvent

#: The longest target accepted (about 100 years): longer ones cannot be dated.
MAX_TARGET: Final = _dt.timedelta(days=36_525)
#: The most working days a target may count.
MAX_TARGET_DAYS: Final = 26_000

#: How a target is counted.
SlaUnit = Literal["working_days", "working_time", "elapsed"]
#: What kind of source an SLA target rests on: a regulation, official guidance (an FAQ,
#: a circular, a service charter) or a configurable default.
SourceBasis = Literal["regulation", "guidance", "default"]
SOURCE_BASES: tuple[SourceBasis, ...] = ("regulation", "guidance", "default")
_ZERO = _dt.timedelta(0)


@attrs.frozen
class SlaTarget:
    """How long a clock may run.

    Build one with :meth:`working_days`, :meth:`working_hours`, :meth:`working_minutes`,
    :meth:`elapsed` or :meth:`calendar_days`.

    Attributes:
        unit: ``"working_days"``: due at the close of business of the N-th working day
            after the start day (the start day never counts); ``"working_time"``: counted
            inside the calendar's working hours; ``"elapsed"``: wall-clock time, 24/7,
            holidays included.
        days: The number of working days (``"working_days"`` only).
        duration: The working or elapsed time (the other units).
    """

    unit: SlaUnit
    days: int = 0
    duration: _dt.timedelta = _ZERO
    _description: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.unit == "working_days":
            if type(self.days) is not int:
                raise WrongTypeError(
                    f"a working-days target needs a whole number of days (int), got "
                    f"{type(self.days).__name__} {quote(self.days)}"
                )
            if not 1 <= self.days <= MAX_TARGET_DAYS:
                raise InvalidArgumentError(
                    f"a working-days target needs a whole number of days >= 1 (and at most "
                    f"{MAX_TARGET_DAYS}), got {quote(self.days)}"
                )
        elif self.unit in ("working_time", "elapsed"):
            if not isinstance(self.duration, _dt.timedelta):
                raise WrongTypeError(
                    f"a {self.unit} target needs a datetime.timedelta, got "
                    f"{type(self.duration).__name__}"
                )
            if not _ZERO < self.duration <= MAX_TARGET:
                raise InvalidArgumentError(
                    f"a {self.unit} target needs a positive duration of at most "
                    f"{MAX_TARGET.days} days, got {self.duration!r}"
                )
        else:
            raise InvalidArgumentError(
                f"unknown SLA unit {quote(self.unit)}; use working_days, working_time or elapsed"
            )
        # status() reports it for every clock; worded once here
        object.__setattr__(self, "_description", self._describe())

    @classmethod
    def working_days(cls, n: int) -> SlaTarget:
        """Due at the close of business of the n-th working day after the start day."""
        return cls("working_days", days=n)

    @classmethod
    def working_hours(cls, hours: float) -> SlaTarget:
        """``hours`` of working time on the office's schedule."""
        return cls("working_time", duration=_duration(hours, 3600, "hours"))

    @classmethod
    def working_minutes(cls, minutes: float) -> SlaTarget:
        """``minutes`` of working time on the office's schedule."""
        return cls("working_time", duration=_duration(minutes, 60, "minutes"))

    @classmethod
    def elapsed(cls, duration: _dt.timedelta) -> SlaTarget:
        """Wall-clock time, around the clock and through holidays."""
        return cls("elapsed", duration=duration)

    @classmethod
    def calendar_days(cls, n: int) -> SlaTarget:
        """``n`` calendar days of elapsed time (e.g. "30 days from registration")."""
        if type(n) is not int:
            raise WrongTypeError(
                f"calendar_days needs a whole number of days (int), got {type(n).__name__} "
                f"{quote(n)}"
            )
        return cls("elapsed", duration=_duration(n, 86_400, "days"))

    def describe(self) -> str:
        """Return e.g. ``"3 working days"``, ``"4 working hours"``, ``"30 days"``."""
        return self._description

    def _describe(self) -> str:
        if self.unit == "working_days":
            return _counted(self.days, "working day")
        hours = self.duration / _dt.timedelta(hours=1)
        if self.unit == "working_time":
            return _counted(hours, "working hour")
        if hours % 24 == 0:
            return _counted(hours / 24, "day")
        return _counted(hours, "hour")


def _counted(amount: float, noun: str) -> str:
    """``amount`` and ``noun`` in English: singular for exactly one, "1.5 hours" otherwise."""
    # whole amounts in full: ``:g`` would write 1,000,000 working days as "1e+06"
    shown = str(int(amount)) if amount == int(amount) else f"{amount:g}"
    return f"{shown} {noun}" if amount == 1 else f"{shown} {noun}s"


def _duration(amount: object, seconds: int, unit: str) -> _dt.timedelta:
    """``amount`` units of ``seconds`` each, refused unless a finite, datable number."""
    if type(amount) not in (int, float):
        raise WrongTypeError(
            f"a target in {unit} needs a number, got {type(amount).__name__} {quote(amount)}"
        )
    value = float(amount) if type(amount) is float or abs(amount) < 2**60 else math.inf  # type: ignore[arg-type]
    if not math.isfinite(value) or not 0 < value * seconds <= MAX_TARGET.total_seconds():
        raise InvalidArgumentError(
            f"a target in {unit} needs a positive duration of at most {MAX_TARGET.days} days, "
            f"got {quote(amount)}"
        )
    return _dt.timedelta(seconds=value * seconds)


def _states(value: str | Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    if not isinstance(value, Iterable) or isinstance(value, bytes | Mapping):
        raise WrongTypeError(
            f"states and events must be a str or an iterable of str, got {type(value).__name__}"
        )
    items = tuple(value)
    for item in items:
        if type(item) is not str:
            raise WrongTypeError(
                f"states and events must be str, got {type(item).__name__} {quote(item)}"
            )
    return frozenset(items)


def _policies(value: Iterable[SlaPolicy]) -> tuple[SlaPolicy, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise WrongTypeError(f"an SLA plan needs SlaPolicy values, got {type(value).__name__}")
    out = tuple(value)
    for policy in out:
        if not isinstance(policy, SlaPolicy):
            raise WrongTypeError(f"an SLA plan holds SlaPolicy values, got {type(policy).__name__}")
    return out


@attrs.frozen
class CaseMatch:
    """Which cases a policy variant applies to; an empty set matches anything.

    Attributes:
        categories: Category codes.
        priorities: Priority codes.
        channels: Channel codes.
    """

    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_states)
    priorities: frozenset[str] = attrs.field(default=frozenset(), converter=_states)
    channels: frozenset[str] = attrs.field(default=frozenset(), converter=_states)

    def matches(self, case: Case) -> bool:
        """Return whether ``case`` matches."""
        if not isinstance(case, Case):
            raise WrongTypeError(f"matches needs a Case, got {type(case).__name__}")
        return (
            (not self.categories or case.category in self.categories)
            and (not self.priorities or case.priority in self.priorities)
            and (not self.channels or case.channel in self.channels)
        )


def _fractions(value: Iterable[float]) -> tuple[float, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise WrongTypeError(f"warn_at must be fractions, got {type(value).__name__}")
    items = tuple(value)
    for v in items:
        if type(v) not in (int, float):
            raise WrongTypeError(
                f"warning thresholds must be numbers, got {type(v).__name__} {quote(v)}"
            )
    out = tuple(sorted(float(v) for v in items))
    if any(not 0 < f < 1 for f in out):  # NaN fails this too
        raise InvalidArgumentError(f"warning thresholds must be between 0 and 1, got {quote(out)}")
    return out


def _is(value: object, kind: type, what: str) -> bool:
    if not isinstance(value, kind):
        raise WrongTypeError(
            f"SLA policy {what} must be a {kind.__name__}, got {type(value).__name__}"
        )
    return True


def _optional_is(value: object, kind: type, what: str) -> bool:
    return value is None or _is(value, kind, what)


def _optional_code(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None:
        check_code(value, "escalate_with")


def _text(value: object, what: str) -> None:
    check_text(value, f"SLA policy {what}", empty=True, limit=10_000)


def _basis(_instance: object, _attribute: object, value: object) -> None:
    if value is not None and value not in SOURCE_BASES:
        raise InvalidArgumentError(
            f"SLA policy basis must be one of {', '.join(SOURCE_BASES)}, got {quote(value)}"
        )


@attrs.frozen
class SlaPolicy:
    """A service-level goal: what starts, pauses and stops a clock, and its target.

    Attributes:
        name: The goal, e.g. ``"verification"``; one clock per goal and cycle.
        target: The :class:`SlaTarget`.
        start_states: Entering one of these states starts the clock (opening a case
            enters the initial state).
        start_events: Firing one of these events starts the clock.
        pause_states: The clock is paused while the case is in one of these states.
        pause_on_waiting: The clock also pauses in every state marked
            ``State(waiting=True)`` (the default); ``False`` for goals that measure the
            wait itself (e.g. "30 days without documents").
        stop_states: Entering one of these states stops the clock.
        stop_events: Firing one of these events stops the clock.
        warn_at: Fractions of the target at which a warning is recorded.
        escalate_with: A workflow event fired on breach (e.g. ``"escalate"``); ``None``
            records the breach only.
        variant: Name of this variant of the goal (``"default"``, ``"urgent"``…).
        when: Which cases this variant applies to; ``None`` matches every case. The
            first matching variant of a goal wins.
        source: The regulation or standard the target comes from.
        confirmed: ``False`` when the figure is a configurable default, not confirmed law.
        description: What the goal means, in a sentence.
        basis: What kind of source it is: ``"regulation"`` (a law, regulation or
            decree), ``"guidance"`` (an official FAQ, circular or service charter: the
            government's word, not law) or ``"default"`` (migrantcare's configurable
            default, or a local standard). Omitted, it follows ``confirmed``:
            ``"regulation"`` when confirmed, else ``"default"``.
    """

    name: str = attrs.field(validator=lambda _i, _a, v: check_code(v, "SLA policy name"))
    target: SlaTarget = attrs.field(validator=lambda _i, _a, v: _is(v, SlaTarget, "target"))
    start_states: frozenset[str] = attrs.field(default=frozenset(), converter=_states)
    start_events: frozenset[str] = attrs.field(default=frozenset(), converter=_states)
    pause_states: frozenset[str] = attrs.field(default=frozenset(), converter=_states)
    pause_on_waiting: bool = attrs.field(
        default=True, kw_only=True, validator=lambda _i, _a, v: _is(v, bool, "pause_on_waiting")
    )
    stop_states: frozenset[str] = attrs.field(default=frozenset(), converter=_states)
    stop_events: frozenset[str] = attrs.field(default=frozenset(), converter=_states)
    warn_at: tuple[float, ...] = attrs.field(default=(0.5, 0.75), converter=_fractions)
    escalate_with: str | None = attrs.field(default=None, validator=_optional_code)
    variant: str = attrs.field(
        default="default", validator=lambda _i, _a, v: check_code(v, "SLA policy variant")
    )
    when: CaseMatch | None = attrs.field(
        default=None, validator=lambda _i, _a, v: _optional_is(v, CaseMatch, "when")
    )
    source: str = attrs.field(default="", validator=lambda _i, _a, v: _text(v, "source"))
    confirmed: bool = attrs.field(
        default=True, validator=lambda _i, _a, v: _is(v, bool, "confirmed")
    )
    description: str = attrs.field(default="", validator=lambda _i, _a, v: _text(v, "description"))
    # None only until __attrs_post_init__ fills it in from ``confirmed``
    basis: SourceBasis | None = attrs.field(default=None, kw_only=True, validator=_basis)
    _events: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    _states: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    _warn_offsets: tuple[_dt.timedelta, ...] = attrs.field(init=False, eq=False, repr=False)
    _budget_us: int = attrs.field(init=False, eq=False, repr=False)
    _warn_shares: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)
    _warn_shares_and_budget: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.basis is None:
            object.__setattr__(self, "basis", "regulation" if self.confirmed else "default")
        if not (self.start_states or self.start_events):
            raise InvalidArgumentError(f"SLA policy {self.name!r} never starts: give start_*")
        if not (self.stop_states or self.stop_events):
            raise InvalidArgumentError(f"SLA policy {self.name!r} never stops: give stop_*")
        # what can concern this policy's clock: read on every event, worked out once
        object.__setattr__(self, "_events", self.start_events | self.stop_events)
        object.__setattr__(
            self, "_states", self.start_states | self.pause_states | self.stop_states
        )
        budget = micros(self.target.duration)
        object.__setattr__(self, "_budget_us", budget)
        # working-time targets: each warning's share of the budget
        shares = tuple(int(budget * f) for f in self.warn_at)
        object.__setattr__(self, "_warn_shares", shares)
        object.__setattr__(self, "_warn_shares_and_budget", (*shares, budget))
        # elapsed targets: each warning's offset from the start of an unpaused clock; a
        # share of zero is a zero offset (falsy: a fresh clock warns at its start, a
        # recomputed one keeps its earlier instant)
        object.__setattr__(
            self, "_warn_offsets", tuple(_dt.timedelta(microseconds=share) for share in shares)
        )


@attrs.frozen
class SlaPlan:
    """The SLA policies of a workflow, in order.

    For each goal (policy name) the first variant whose ``when`` matches the case is
    used, like ordered SLA goals in a service desk; a variant without ``when`` is the
    default and should come last.

    Attributes:
        policies: The policies, variants of one goal in priority order.
    """

    policies: tuple[SlaPolicy, ...] = attrs.field(converter=_policies)
    _by_key: dict[tuple[str, str], SlaPolicy] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # (goal, variant) -> policy, looked up for every clock of every status call
        object.__setattr__(self, "_by_key", {(p.name, p.variant): p for p in self.policies})

    @property
    def goals(self) -> tuple[str, ...]:
        """The goal names, in order of first appearance."""
        return tuple(dict.fromkeys(p.name for p in self.policies))

    def select(self, case: Case) -> tuple[SlaPolicy, ...]:
        """Return the policy that applies to ``case`` for each goal that has one."""
        if not isinstance(case, Case):
            raise WrongTypeError(f"select needs a Case, got {type(case).__name__}")
        chosen: dict[str, SlaPolicy] = {}
        for p in self.policies:
            if p.name not in chosen and (p.when is None or p.when.matches(case)):
                chosen[p.name] = p
        return tuple(chosen.values())

    def policy(self, goal: str, variant: str) -> SlaPolicy:
        """Return the policy ``goal``/``variant``."""
        policy = self._by_key.get((check_name(goal, "goal"), check_name(variant, "variant")))
        if policy is not None:
            return policy
        raise InvalidArgumentError(f"the SLA plan has no policy {goal!r} variant {variant!r}")

    def with_policies(self, *policies: SlaPolicy) -> SlaPlan:
        """Return a plan with ``policies`` put first (so they win over existing variants)."""
        return SlaPlan(policies + self.policies)

    def without(self, goal: str) -> SlaPlan:
        """Return a plan without any variant of ``goal``."""
        check_name(goal, "goal")
        return SlaPlan(tuple(p for p in self.policies if p.name != goal))

    def check_against(self, states: set[str], triggers: set[str], where: str) -> list[str]:
        """Return problems of this plan against a workflow's states and triggers."""
        problems = []
        for p in self.policies:
            for label, names, known in (
                ("state", p.start_states | p.pause_states | p.stop_states, states),
                ("event", p.start_events | p.stop_events, triggers),
            ):
                for n in sorted(names - known):
                    problems.append(f"{where}: SLA policy {p.name!r} names unknown {label} {n!r}")
            if p.escalate_with is not None and p.escalate_with not in triggers:
                problems.append(
                    f"{where}: SLA policy {p.name!r} escalates with unknown event "
                    f"{p.escalate_with!r}"
                )
        return problems


# --------------------------------------------------------------------------- clock facts


#: No clock needs its deadline computed again.
_NOTHING_STALE: Final = frozenset[int]()

#: What an event does to the clock of one policy it concerns:
#: (policy, stops it, pauses it (its destination is a pause state), starts it).
Concern = tuple["SlaPolicy", bool, bool, bool]


def concerns(
    policies: Sequence[SlaPolicy],
    name: str,
    dest: str,
    entered: str | None,
    waiting: frozenset[str] | set[str] = frozenset(),
) -> tuple[Concern, ...]:
    """What an event ``name`` into ``dest`` does to each policy's clock it concerns.

    ``entered`` is ``dest`` when the event enters it (an opening, or a change of state),
    else ``None``; ``waiting`` the goals whose clock is paused (every event concerns
    them: it may resume them). Without waiting goals the answer depends on the
    arguments only, so a workflow keeps it per selection, event and state.
    """
    out = []
    for p in policies:
        if name in p._events or dest in p._states or p.name in waiting:
            stops = name in p.stop_events or (entered is not None and entered in p.stop_states)
            starts = name in p.start_events or (entered is not None and entered in p.start_states)
            out.append((p, stops, dest in p.pause_states, starts))
    return tuple(out)


def entered_state(event: CaseEvent) -> str | None:
    """The state ``event`` enters: its destination on an opening or a change of state."""
    dest = event.dest
    return dest if (event.kind == "opened" or dest != event.source) else None


def apply_event(
    clocks: tuple[SlaClock, ...],
    policies: Sequence[SlaPolicy],
    event: CaseEvent,
    calendar: WorkingCalendar | None = None,
    concerned: Sequence[Concern] | None = None,
    *,
    none_paused: bool = False,
) -> tuple[tuple[SlaClock, ...], frozenset[int]]:
    """Return ``clocks`` updated with what ``event`` starts, pauses, resumes or stops.

    Also returns the positions of the clocks whose cached deadline must be computed
    again: started, resumed, or stopped while paused. A clock that stops while running
    keeps its deadline, and a paused one has none, so neither costs any arithmetic.

    Given a non-strict ``calendar``, a clock the event starts running comes with its
    cache computed (what :func:`refresh` gives it), not among the positions returned.
    ``concerned`` is ``concerns(policies, event.name, event.dest, entered_state(event))``
    when the caller keeps it (a workflow does, per selection, event and state); a paused
    clock's policy is concerned by every event, whatever ``concerned`` says.
    ``none_paused`` says that the caller has seen that no clock is paused.
    """
    for c in () if none_paused else clocks:
        if c.paused_since is not None and c.stopped_at is None:
            waiting = {
                c.goal for c in clocks if c.paused_since is not None and c.stopped_at is None
            }
            concerned = concerns(policies, event.name, event.dest, entered_state(event), waiting)
            break
    else:
        if concerned is None:
            concerned = concerns(policies, event.name, event.dest, entered_state(event))
    if not concerned:
        return clocks, _NOTHING_STALE
    fast = calendar is not None and not calendar.strict
    point: tuple[int, int] | None = None
    at = event.at
    out = list(clocks)
    stale: list[int] = []
    latest = {c.goal: i for i, c in enumerate(out)} if out else {}  # later cycles win
    for p, stops, pauses, starts in concerned:
        index = latest.get(p.name)
        clock = None if index is None else out[index]
        if clock is not None and clock.stopped_at is None:
            assert index is not None
            if stops:
                closed = clock.pauses
                if clock.paused_since is not None:
                    closed = (*closed, (clock.paused_since, at))
                    stale.append(index)
                out[index] = _stopped(clock, closed, at)
            elif clock.paused_since is None and pauses:
                out[index] = attrs.evolve(
                    clock, paused_since=at, due_at=None, warn_times=(), budget_us=None
                )
                # a pause that cannot move the deadline (it began too late) keeps it
                stale.append(index)
            elif clock.paused_since is not None and not pauses:
                out[index] = attrs.evolve(
                    clock, pauses=(*clock.pauses, (clock.paused_since, at)), paused_since=None
                )
                stale.append(index)
        elif starts:
            cycle = 1 if clock is None else clock.cycle + 1
            if fast and not pauses:
                assert calendar is not None
                if point is None and p.target.unit != "elapsed":
                    # every clock this event starts counts from the same instant
                    point = calendar.working_time.locate(at)
                # what refresh(SlaClock(p.name, p.variant, cycle, at), p, calendar) gives
                # on a non-strict calendar, built once
                due, warns, budget, provisional = _fresh_cache(p, at, calendar, point, ())
                out.append(
                    new_clock(
                        p.name,
                        p.variant,
                        cycle,
                        at,
                        (),
                        None,
                        None,
                        (),
                        due,
                        warns,
                        budget,
                        calendar.version,
                        provisional,
                        None,
                        0,
                        0,
                    )
                )
            else:
                out.append(
                    SlaClock(
                        goal=p.name,
                        variant=p.variant,
                        cycle=cycle,
                        started_at=at,
                        paused_since=at if pauses else None,
                    )
                )
                if not pauses:
                    stale.append(len(out) - 1)
            latest[p.name] = len(out) - 1
    return tuple(out), frozenset(stale) if stale else _NOTHING_STALE


def _stopped(clock: SlaClock, pauses: tuple[Pause, ...], at: _dt.datetime) -> SlaClock:
    # a direct constructor call: attrs.evolve costs several times more, on every stop
    return new_clock(
        clock.goal,
        clock.variant,
        clock.cycle,
        clock.started_at,
        pauses,
        None,
        at,
        clock.recorded,
        clock.due_at,
        clock.warn_times,
        clock.budget_us,
        clock.calendar_version,
        clock.provisional,
        clock.rebased_at,
        clock.used_us,
        clock.used_days,
    )


def _latest(clocks: Sequence[SlaClock], goal: str) -> int | None:
    for i in range(len(clocks) - 1, -1, -1):
        if clocks[i].goal == goal:
            return i
    return None


def record_mark(
    clocks: tuple[SlaClock, ...], goal: str, cycle: int, mark: str
) -> tuple[SlaClock, ...]:
    """Return ``clocks`` with ``mark`` recorded on clock ``goal``/``cycle``."""
    return tuple(
        attrs.evolve(c, recorded=(*c.recorded, mark))
        if c.goal == goal and c.cycle == cycle and mark not in c.recorded
        else c
        for c in clocks
    )


# --------------------------------------------------------------------------- arithmetic


class _Measure:
    """Time as a policy counts it: wall-clock, or working time on a calendar.

    One measure serves every clock of a ``status`` call, so it remembers the working
    position of the instants it has seen (``now`` is shared by all clocks).
    """

    __slots__ = ("a", "a_pos", "b", "b_pos", "calendar", "positions")

    def __init__(self, calendar: WorkingCalendar | None) -> None:
        self.calendar = calendar
        self.positions: dict[_dt.datetime, int] = {}
        # the two instants asked last: the clocks of a case share theirs (one ``now``;
        # the clocks an event started share its instant), and an identity test spares
        # hashing an aware datetime
        self.a: _dt.datetime | None = None
        self.b: _dt.datetime | None = None
        self.a_pos = self.b_pos = 0

    def _pos(self, instant: _dt.datetime) -> int:
        if instant is self.a:
            return self.a_pos
        if instant is self.b:
            return self.b_pos
        pos = self.positions.get(instant)
        if pos is None:
            assert self.calendar is not None
            pos = self.positions[instant] = self.calendar.working_time.position(instant)
        self.b, self.b_pos = self.a, self.a_pos
        self.a, self.a_pos = instant, pos
        return pos

    def between(self, a: _dt.datetime, b: _dt.datetime) -> int:
        if self.calendar is None:
            return micros(b - a)
        return self._pos(b) - self._pos(a)

    def add(self, a: _dt.datetime, us: int) -> _dt.datetime:
        if self.calendar is None:
            return a + _dt.timedelta(microseconds=us)
        if us <= 0:
            return a
        if self.calendar.strict:
            # the public method checks the years it crosses
            return as_utc(self.calendar.add_working_time(a, _dt.timedelta(microseconds=us)))
        target = self._pos(a) + us
        result = self.calendar.working_time.instant_at(target)
        # the result sits exactly at that working position: later between() calls on
        # it (the budget, the status) need no conversion
        self.positions[result] = target
        return result


def new_measure(calendar: WorkingCalendar) -> _Measure:
    """A working-time measure to share across the clocks of one case."""
    return _Measure(calendar)


def _advance(
    start: _dt.datetime, amount: int, pauses: Sequence[Pause], measure: _Measure
) -> _dt.datetime:
    """The instant at which ``amount`` of active (unpaused) time has run since ``start``."""
    t = start
    for p0, p1 in pauses:
        if p1 <= t:
            continue
        if p0 > t:
            segment = measure.between(t, p0)
            if segment >= amount:
                return measure.add(t, amount)
            amount -= segment
        t = max(t, p1)
    return measure.add(t, amount)


def _active(start: _dt.datetime, end: _dt.datetime, pauses: Sequence[Pause], m: _Measure) -> int:
    """Active time in ``[start, end)`` outside ``pauses``, in the policy's measure."""
    if end <= start:
        return 0
    total = m.between(start, end)
    for p0, p1 in pauses:
        lo, hi = max(p0, start), min(p1, end)
        if lo < hi:
            total -= m.between(lo, hi)
    return total


def _whole_days(
    calendar: WorkingCalendar, pause: Pause, measure: _Measure | None = None
) -> tuple[_dt.date, _dt.date]:
    """The first and last date whose whole working time lies inside ``pause``.

    ``first > last`` when no working day is wholly paused. ``measure`` (a working-time
    measure on ``calendar``) keeps the pause's working positions for the walks over the
    same pauses that follow (the budget, the warnings).
    """
    p0, p1 = pause
    if not calendar.strict:
        i, j = _whole_day_span(calendar, pause, measure)
        index = calendar.working_time
        return index.date_of(i), index.date_of(j)
    one_day = _dt.timedelta(days=1)
    first = calendar.local(p0).date()
    if calendar.working_time_between(calendar.start_of_day(first), p0):
        first += one_day  # some of that day's working time came before the pause
    last = calendar.local(p1).date()
    if last < _dt.date(calendar.last_year, 12, 31) and calendar.working_time_between(
        p1, calendar.start_of_day(last + one_day)
    ):
        last -= one_day  # some of that day's working time comes after the pause
    return first, last


def _whole_day_span(
    calendar: WorkingCalendar, pause: Pause, measure: _Measure | None
) -> tuple[int, int]:
    """:func:`_whole_days` as the calendar's day numbers (non-strict calendars).

    From working positions: the working time of p0's day before p0 is p0's position
    past its day's start; the working time after p1 on its day is the next day's start
    past p1's position. This runs for every pause of every working-days clock at every
    event, and the public methods build pendulum instants for the same answer.
    """
    p0, p1 = pause
    index = calendar.working_time
    cum = index.cum_us
    i, pos = index.locate(p0, "pause start")
    j, end = index.locate(p1, "pause end")
    if measure is not None and measure.calendar is calendar:
        measure.positions[p0] = pos
        measure.positions[p1] = end
    # a day's working time starts at its first instant: cum[i], unless its midnight
    # falls in a DST gap (then the skipped wall hours come before any instant)
    if pos > cum[i] and pos > index.day_start(i):
        i += 1  # some of that day's working time came before the pause
    if j < index.n_days - 1 and cum[j + 1] > end and index.day_start(j + 1) > end:
        j -= 1  # some of that day's working time comes after the pause
    return i, j


def _paused_day_counts(
    calendar: WorkingCalendar, pause: Pause, due_day: _dt.date, measure: _Measure | None = None
) -> int:
    """Whole working days paused by ``pause``, or 0 if none of them is on or before ``due_day``.

    Paused working days are consecutive: once the first one falls on or before the
    day the clock is due, each one pushes the due day past the next, so all count.
    """
    if not calendar.strict:
        # the same counts on day numbers: working_days_between(a, b) is the difference
        # of the cumulative working-day counts at their day numbers
        i, j = _whole_day_span(calendar, pause, measure)
        index = calendar.working_time
        d = due_day.toordinal() - index.first_ordinal
        if i > j or i > d:
            return 0
        cum = index.cum_days
        if cum[d + 1] == cum[i]:
            return 0
        return cum[j + 1] - cum[i]
    first, last = _whole_days(calendar, pause, measure)
    if first > last or first > due_day:
        return 0
    if not calendar.working_days_between(first, due_day + _dt.timedelta(days=1)):
        return 0
    return calendar.working_days_between(first, last + _dt.timedelta(days=1))


def _local_date(calendar: WorkingCalendar, instant: _dt.datetime) -> _dt.date:
    return _dt.date.fromordinal(to_zone_fields(instant, calendar.zone)[0])


def _segment(clock: SlaClock, pauses: Sequence[Pause]) -> tuple[_dt.datetime, Sequence[Pause]]:
    """Where active time is counted from on the clock's current calendar, and its pauses.

    After a transfer the time before ``rebased_at`` is carried as ``used_us`` /
    ``used_days``; only pauses after it count on the new calendar.
    """
    origin = clock.rebased_at
    if origin is None:
        return clock.started_at, pauses
    return origin, tuple((max(p0, origin), p1) for p0, p1 in pauses if p1 > origin)


def measure_for(
    policy: SlaPolicy, calendar: WorkingCalendar, shared: _Measure | None = None
) -> _Measure:
    """The time measure of ``policy`` on ``calendar`` (``shared`` if it is a working one)."""
    if policy.target.unit == "elapsed":
        return _Measure(None)
    return shared if shared is not None else _Measure(calendar)


def settle(
    policy: SlaPolicy,
    clock: SlaClock,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause],
    measure: _Measure | None = None,
) -> tuple[_dt.datetime, tuple[Pause, ...]]:
    """The deadline of ``clock`` (UTC) and the pauses that count towards it.

    A breach never hides: a pause counts only if it begins before the deadline that
    the pauses before it give, and then only for the working time (or the whole
    working days) it freezes. A pause, a waiting state or a stop that begins once the
    clock is due changes nothing. After a transfer (``rebased_at``) only the rest of
    the budget is counted, on ``calendar``, from the transfer instant.
    """
    target = policy.target
    origin, pauses = _segment(clock, pauses)
    kept: list[Pause] = []
    if target.unit == "working_days":
        index = calendar.working_time
        day = _local_date(calendar, origin)
        n = target.days
        base = day
        if clock.rebased_at is not None:
            n = max(target.days - clock.used_days, 1)
            if clock.used_days or day != _local_date(calendar, clock.started_at):
                # the transfer day itself counts (it was in progress)
                base = day - _dt.timedelta(days=1)
        due_day = calendar.add_working_days(base, n)
        due = index.close_utc(due_day.toordinal())
        assert due is not None  # add_working_days returns working days only
        extra = 0
        for pause in pauses:
            if pause[0] >= due:
                break
            kept.append(pause)
            count = _paused_day_counts(calendar, pause, due_day, measure)
            if count:
                extra += count
                due_day = calendar.add_working_days(base, n + extra)
                due = index.close_utc(due_day.toordinal())
                assert due is not None
        if measure is not None and measure.calendar is not None:
            # the deadline sits at a known working position: budgets need no conversion
            measure.positions[due] = index.close_position(due_day.toordinal())
        return due, tuple(kept)
    if measure is None:
        measure = measure_for(policy, calendar)
    amount = max(micros(target.duration) - clock.used_us, 0)
    t = origin
    for p0, p1 in pauses:
        if p1 <= t:
            continue
        if p0 > t:
            segment = measure.between(t, p0)
            if segment >= amount:
                return measure.add(t, amount), tuple(kept)
            amount -= segment
        kept.append((p0, p1))
        t = max(t, p1)
    return measure.add(t, amount), tuple(kept)


def deadline(
    policy: SlaPolicy,
    clock: SlaClock,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause],
    measure: _Measure | None = None,
) -> _dt.datetime:
    """The deadline of ``clock`` given ``pauses`` (UTC); see :func:`settle`."""
    return settle(policy, clock, calendar, pauses, measure)[0]


def fixed_while_paused(
    policy: SlaPolicy, clock: SlaClock, calendar: WorkingCalendar, measure: _Measure | None = None
) -> tuple[_dt.datetime, tuple[Pause, ...]] | None:
    """The deadline of a paused clock if no length of its current pause can move it.

    That is the case when the pause began at or after the deadline, or (working days)
    when it cannot freeze a whole working day before it. ``None`` means the pause
    still moves the deadline (the clock is frozen).
    """
    p0 = clock.paused_since
    assert p0 is not None
    due, kept = settle(policy, clock, calendar, clock.pauses, measure)
    if p0 >= due:
        return due, kept
    if policy.target.unit == "working_days":
        first, _ = _whole_days(calendar, (p0, p0))
        due_day = _local_date(calendar, due)
        if first > due_day or not calendar.working_days_between(
            first, due_day + _dt.timedelta(days=1)
        ):
            return due, kept
    return None


def _provisional(
    policy: SlaPolicy, calendar: WorkingCalendar, start: _dt.datetime, due: _dt.datetime
) -> bool:
    """Whether a deadline from ``start`` to ``due`` rests on estimated holiday data."""
    if policy.target.unit == "elapsed":
        return False
    years = calendar.provisional_years
    first, last = start.year, due.year
    return bool(years) and (
        first in years or (last != first and not years.isdisjoint(range(first, last + 1)))
    )


def refresh(
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    shared: _Measure | None = None,
) -> SlaClock:
    """Return ``clock`` with its cached deadline and warning instants computed on ``calendar``.

    A stopped clock that has its cache is final and comes back unchanged: its outcome
    never moves, whatever calendar is applied afterwards. ``shared`` is a working-time
    measure on ``calendar`` reused across the clocks an event changed.
    """
    if clock.stopped_at is not None and clock.due_at is not None:
        return clock
    if (
        not clock.pauses
        and clock.paused_since is None
        and clock.stopped_at is None
        and clock.rebased_at is None
        and not (clock.used_us or clock.used_days)
        and not calendar.strict
    ):
        # a clock that has only run since it started (every clock an event starts):
        # deadline, budget and warnings straight from working positions, without the
        # general pause and transfer walk below (which gives the same instants)
        return _fresh(clock, policy, calendar)
    return _refresh_general(clock, policy, calendar, shared)


def _refresh_general(
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    shared: _Measure | None = None,
) -> SlaClock:
    """:func:`refresh` of any unstopped clock: pauses and transfers walked in full."""
    measure = measure_for(policy, calendar, shared)
    if clock.paused_since is not None and clock.stopped_at is None:
        fixed = fixed_while_paused(policy, clock, calendar, measure)
        if fixed is None:
            return attrs.evolve(
                clock, due_at=None, warn_times=(), budget_us=None, calendar_version=calendar.version
            )
        due, pauses = fixed
    else:
        due, pauses = settle(policy, clock, calendar, clock.pauses, measure)
    origin = clock.started_at if clock.rebased_at is None else clock.rebased_at
    used = clock.used_us
    budget = used + _active(origin, due, pauses, measure)
    old = clock.warn_times
    warns = tuple(
        _advance(origin, int(budget * f) - used, pauses, measure)
        if int(budget * f) > used
        # crossed before the transfer: keep when it was crossed
        else (old[k] if k < len(old) else origin)
        for k, f in enumerate(policy.warn_at)
    )
    provisional = _provisional(policy, calendar, clock.started_at, due)
    return _cached(clock, due, warns, budget, calendar, provisional)


def _fresh(clock: SlaClock, policy: SlaPolicy, calendar: WorkingCalendar) -> SlaClock:
    """:func:`refresh` of a running clock that was never paused nor transferred.

    Equal to the general path (a property test holds them together): with no pause the
    budget is the target itself (working time, elapsed) or the working time up to the
    close of the due day (working days), and each warning is the instant at which its
    fraction of the budget has run.
    """
    due, warns, budget, provisional = _fresh_cache(
        policy, clock.started_at, calendar, None, clock.warn_times
    )
    # never paused, stopped nor transferred: those fields are their defaults
    return _cached(clock, due, warns, budget, calendar, provisional)


def _cached(  # noqa: PLR0917 - internal, the cache's parts
    clock: SlaClock,
    due: _dt.datetime,
    warns: tuple[_dt.datetime, ...],
    budget: int,
    calendar: WorkingCalendar,
    provisional: bool,
) -> SlaClock:
    """``clock`` with its cache (deadline, warnings, budget) computed on ``calendar``."""
    return new_clock(
        clock.goal,
        clock.variant,
        clock.cycle,
        clock.started_at,
        clock.pauses,
        clock.paused_since,
        clock.stopped_at,
        clock.recorded,
        due,
        warns,
        budget,
        calendar.version,
        provisional,
        clock.rebased_at,
        clock.used_us,
        clock.used_days,
    )


def _fresh_cache(
    policy: SlaPolicy,
    start: _dt.datetime,
    calendar: WorkingCalendar,
    point: tuple[int, int] | None,
    old: tuple[_dt.datetime, ...],
) -> tuple[_dt.datetime, tuple[_dt.datetime, ...], int, bool]:
    """Deadline, warning instants, budget and provisional flag of a clock run since ``start``.

    ``point`` is ``calendar._position(start)`` when the caller has it (every clock an
    event starts shares it); ``old`` the clock's earlier warning instants.
    """
    target = policy.target
    unit = target.unit
    if unit == "elapsed":
        if old:
            warns = tuple(
                start + delta if delta else (old[k] if k < len(old) else start)
                for k, delta in enumerate(policy._warn_offsets)
            )
        else:
            offsets = policy._warn_offsets
            # two warnings (the default) without a comprehension's call
            warns = (
                (start + offsets[0], start + offsets[1])
                if len(offsets) == 2
                else tuple([start + d for d in offsets])
            )
        return start + target.duration, warns, policy._budget_us, False
    index = calendar.working_time
    day, pos = index.locate(start) if point is None else point
    if unit == "working_days":
        due, close = index.working_days_close(day, target.days)
        budget = close - pos if close > pos else 0
        shares: Sequence[int] = [int(budget * f) for f in policy.warn_at]
    else:
        budget = policy._budget_us
        shares = policy._warn_shares
    if budget <= 0 or old or 0 in shares:
        # a threshold already crossed (or nothing to count) keeps its instant, as the
        # general path does
        instant_at = index.instant_at
        if unit != "working_days":
            due = instant_at(pos + budget) if budget > 0 else start
        warns = tuple(
            instant_at(pos + share) if share > 0 else (old[k] if k < len(old) else start)
            for k, share in enumerate(shares)
        )
    elif unit == "working_days":
        warns = index.instants_after(pos, shares)
    else:
        # the warnings and the deadline in one calendar call
        instants = index.instants_after(pos, policy._warn_shares_and_budget)
        warns, due = instants[:-1], instants[-1]
    return due, warns, budget, _provisional(policy, calendar, start, due)


def rebase(
    clock: SlaClock,
    policy: SlaPolicy,
    old: WorkingCalendar,
    new: WorkingCalendar,
    at: _dt.datetime,
) -> SlaClock:
    """Move an unfinished clock onto ``new`` at ``at`` (a transfer to another office).

    Time used until ``at`` is measured on ``old`` and stays used; the rest of the
    budget runs on ``new`` from ``at``. A stopped clock is final and is returned as is;
    one already past its deadline keeps it (the breach belongs to the old office).
    """
    if clock.stopped_at is not None:
        return clock
    if clock.due_at is not None and clock.due_at < at:
        return attrs.evolve(clock, calendar_version=new.version)
    pauses = clock.pauses
    if clock.paused_since is not None:
        pauses = (*pauses, (clock.paused_since, at))
    origin, segment = _segment(clock, pauses)
    before = tuple((p0, min(p1, at)) for p0, p1 in segment if p0 < at)
    used_us = clock.used_us + _active(origin, at, before, measure_for(policy, old))
    used_days = clock.used_days
    if policy.target.unit == "working_days":
        first = _local_date(old, origin)
        if clock.rebased_at is None:
            first += _dt.timedelta(days=1)  # the start day never counts
        days = (
            old.working_days_between(first, _local_date(old, at))
            if first < _local_date(old, at)
            else 0
        )
        frozen = 0
        for pause in before:
            first_day, last_day = _whole_days(old, pause)
            if first_day <= last_day:
                frozen += old.working_days_between(first_day, last_day + _dt.timedelta(days=1))
        used_days += max(days - frozen, 0)
    moved = attrs.evolve(clock, rebased_at=at, used_us=used_us, used_days=used_days)
    return refresh(moved, policy, new)


def check_calendar(calendar: object) -> WorkingCalendar:
    """Return ``calendar`` if it is a :class:`WorkingCalendar`."""
    if not isinstance(calendar, WorkingCalendar):
        raise WrongTypeError(
            "this workflow tracks SLA clocks: pass calendar=<the office's WorkingCalendar>, "
            f"got {type(calendar).__name__}"
        )
    return calendar


# --------------------------------------------------------------------------- status

#: Where a clock stands.
ClockState = Literal["running", "paused", "met", "breached"]


class _StatusSlots:
    # The storage of SlaStatus: filled directly by _new_status (a quarter of the cost of
    # attrs' frozen __init__), as status() builds one per clock on every call.
    __slots__ = (
        "__weakref__",
        "confirmed",
        "cycle",
        "due_at",
        "elapsed",
        "goal",
        "next_alert_at",
        "percent_used",
        "provisional",
        "provisional_reason",
        "recorded",
        "remaining",
        "source",
        "started_at",
        "state",
        "target",
        "variant",
    )


@attrs.frozen(weakref_slot=False)
class SlaStatus(_StatusSlots):
    """Where one SLA clock of a case stands at ``now``.

    Attributes:
        goal: The policy name.
        variant: The policy variant that applies.
        cycle: The clock's cycle (2 and up after a reopen).
        state: ``"running"``, ``"paused"``, ``"met"`` (stopped on time) or
            ``"breached"`` (past the deadline, stopped or not).
        started_at: When the clock started, an aware ``datetime`` in the office's zone.
        due_at: The deadline in the office's zone; for a paused clock, the deadline if
            it resumed at ``now``.
        elapsed: Active time used so far, in the policy's measure (working time for
            working units, wall time for elapsed targets).
        remaining: Active time left until the deadline (negative when overdue).
        percent_used: ``elapsed`` as a percentage of the whole budget.
        provisional: The deadline rests on estimated holiday data or an undecreed year.
        recorded: Warnings and breaches already recorded by ``advance``.
        next_alert_at: When ``advance`` will record this clock's next warning or breach,
            in the office's zone; ``None`` when nothing is pending (paused, or done).
        target: The target, in words (``"3 working days"``).
        source: Where the target comes from.
        confirmed: ``False`` when the target is a configurable default, not law.
        provisional_reason: For a provisional deadline, which years of its span are
            unsettled, how, and the decree that will settle them (English, as
            :meth:`WorkingCalendar.provisional_reason` words it); ``""`` otherwise.
    """

    goal: str
    variant: str
    cycle: int
    state: ClockState
    started_at: _dt.datetime
    due_at: _dt.datetime
    elapsed: _dt.timedelta
    remaining: _dt.timedelta
    percent_used: float
    provisional: bool
    recorded: tuple[str, ...]
    next_alert_at: _dt.datetime | None
    target: str
    source: str
    confirmed: bool
    provisional_reason: str = ""

    def to_dict(self, *, tz: str | None = None) -> dict[str, Any]:
        """Return this status as plain JSON data (schema ``json_schema("sla_status")``).

        Instants are ISO 8601 texts with their offset, in the office's zone they were
        computed in (or in ``tz`` when given); ``elapsed`` and ``remaining`` are seconds
        (``remaining_seconds`` is negative when overdue).

        Args:
            tz: An IANA zone to show the instants in instead (e.g. the reader's).

        Examples:
            >>> import datetime as dt
            >>> from migrantcare import Actor, WorkingCalendar, complaint_workflow
            >>> wf, cal = complaint_workflow(), WorkingCalendar.indonesia()
            >>> t = dt.datetime(2026, 3, 2, 2, tzinfo=dt.timezone.utc)
            >>> case = wf.open("C-1", at=t, by=Actor("cc-1", roles={"call_centre"}),
            ...                office="bp3mi-ntt", category="unpaid_wages",
            ...                channel="call_center", calendar=cal)
            >>> first = wf.status(case, at=t, calendar=cal)[0].to_dict()
            >>> first["goal"], first["state"], first["due_at"], first["remaining_seconds"]
            ('first_response', 'running', '2026-03-03T09:30:00+07:00', 28800.0)
        """
        return {
            "goal": self.goal,
            "variant": self.variant,
            "cycle": self.cycle,
            "state": self.state,
            "started_at": instant(self.started_at, tz),
            "due_at": instant(self.due_at, tz),
            "elapsed_seconds": seconds(self.elapsed),
            "remaining_seconds": seconds(self.remaining),
            "percent_used": number(self.percent_used, "percent_used"),
            "provisional": self.provisional,
            "recorded": list(self.recorded),
            "next_alert_at": maybe_instant(self.next_alert_at, tz),
            "target": self.target,
            "source": self.source,
            "confirmed": self.confirmed,
            "provisional_reason": self.provisional_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaStatus:
        """Read back what :meth:`to_dict` wrote (equal to the status it came from).

        Raises:
            InvalidArgumentError: a field is missing, or an instant is not ISO 8601
                with an offset.
            WrongTypeError: a field has the wrong type.
        """
        if not isinstance(data, Mapping):
            raise WrongTypeError(f"expected a mapping, got {type(data).__name__}")
        missing = [k for k in _STATUS_FIELDS if k not in data]
        if missing:
            raise InvalidArgumentError(f"an SLA status needs {', '.join(missing)}")
        alert = data["next_alert_at"]
        return cls(
            goal=data["goal"],
            variant=data["variant"],
            cycle=data["cycle"],
            state=data["state"],
            started_at=read_instant(data["started_at"], "started_at"),
            due_at=read_instant(data["due_at"], "due_at"),
            elapsed=_dt.timedelta(seconds=data["elapsed_seconds"]),
            remaining=_dt.timedelta(seconds=data["remaining_seconds"]),
            percent_used=data["percent_used"],
            provisional=data["provisional"],
            recorded=tuple(data["recorded"]),
            next_alert_at=None if alert is None else read_instant(alert, "next_alert_at"),
            target=data["target"],
            source=data["source"],
            confirmed=data["confirmed"],
            # optional: documents written before it was added lack it
            provisional_reason=data.get("provisional_reason", ""),
        )


#: The keys of :meth:`SlaStatus.to_dict`.
_STATUS_FIELDS: Final = (
    "goal",
    "variant",
    "cycle",
    "state",
    "started_at",
    "due_at",
    "elapsed_seconds",
    "remaining_seconds",
    "percent_used",
    "provisional",
    "recorded",
    "next_alert_at",
    "target",
    "source",
    "confirmed",
)


def _new_status(  # noqa: PLR0917 - internal fast path, mirrors SlaStatus
    goal: str,
    variant: str,
    cycle: int,
    state: ClockState,
    started_at: _dt.datetime,
    due_at: _dt.datetime,
    elapsed: _dt.timedelta,
    remaining: _dt.timedelta,
    percent_used: float,
    provisional: bool,
    recorded: tuple[str, ...],
    next_alert_at: _dt.datetime | None,
    target: str,
    source: str,
    confirmed: bool,
    provisional_reason: str,
) -> SlaStatus:
    status: Any = object.__new__(_StatusSlots)
    status.goal = goal
    status.variant = variant
    status.cycle = cycle
    status.state = state
    status.started_at = started_at
    status.due_at = due_at
    status.elapsed = elapsed
    status.remaining = remaining
    status.percent_used = percent_used
    status.provisional = provisional
    status.recorded = recorded
    status.next_alert_at = next_alert_at
    status.target = target
    status.source = source
    status.confirmed = confirmed
    status.provisional_reason = provisional_reason
    status.__class__ = SlaStatus
    return status  # type: ignore[no-any-return]


def clock_status(
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    now: _dt.datetime,
    shared: _Measure | None = None,
) -> SlaStatus:
    """Compute the :class:`SlaStatus` of ``clock`` at ``now`` on ``calendar``.

    ``shared`` is a working-time measure reused across the clocks of one case.
    """
    due = clock.due_at
    budget = clock.budget_us
    if (
        due is not None
        and budget is not None
        and not clock.pauses
        and clock.paused_since is None
        and clock.rebased_at is None
        and (clock.stopped_at is not None or clock.calendar_version == calendar.version)
    ):
        # never paused nor transferred, cache current (most clocks): read the cache
        status = _status_of_cached(clock, policy, calendar, now, due, budget, shared)
    else:
        status = _clock_status_general(clock, policy, calendar, now, shared)
    if (status.state == "breached" and status.remaining >= _ZERO) or (
        status.state == "met" and status.remaining < _ZERO
    ):
        # The cached budget may have been measured on another office's calendar (a
        # clock stopped, or past its deadline, when the case was transferred keeps its
        # deadline and cache) while the time used is measured on this one: a breach
        # would show time left. Measure both on this calendar (on the clock's own
        # calendar the two agree, so only these rare statuses pay for it).
        status = _clock_status_general(clock, policy, calendar, now, shared, remeasure=True)
    return status


def _status_of_cached(  # noqa: PLR0917 - internal, hot path
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    now: _dt.datetime,
    due: _dt.datetime,
    budget: int,
    shared: _Measure | None,
) -> SlaStatus:
    """:func:`clock_status` of a clock whose cache holds (equal to the general path)."""
    start = clock.started_at
    stopped = clock.stopped_at
    end = now if stopped is None or now < stopped else stopped
    used = clock.used_us
    if end > start:
        used += measure_for(policy, calendar, shared).between(start, end)
    zone = calendar.zone
    alert = _next_alert(clock)
    state: ClockState
    if stopped is not None and stopped <= now:
        state = "met" if stopped <= due else "breached"
    elif now > due or "breach" in clock.recorded:
        state = "breached"
    else:
        state = "running"
    target = policy.target
    return _new_status(
        clock.goal,
        clock.variant,
        clock.cycle,
        state,
        start.astimezone(zone),
        due.astimezone(zone),
        _dt.timedelta(0, 0, used),
        _dt.timedelta(0, 0, budget - used),
        100.0 * used / budget if budget else 100.0,
        clock.provisional,
        clock.recorded,
        None if alert is None else alert.astimezone(zone),
        target.describe(),
        policy.source,
        policy.confirmed,
        # worded only for a provisional deadline, and memoised per span of years
        _unsettled(calendar, start, due) if clock.provisional else "",
    )


def _unsettled(calendar: WorkingCalendar, start: _dt.datetime, due: _dt.datetime) -> str:
    """Why a deadline from ``start`` to ``due`` may move (English; memoised per years)."""
    return calendar.working_time.unsettled_reason(start.year, due.year, "en")


def _clock_status_general(
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    now: _dt.datetime,
    shared: _Measure | None = None,
    *,
    remeasure: bool = False,
) -> SlaStatus:
    """:func:`clock_status` of any clock: pauses, transfers and stale caches included.

    ``remeasure``: measure the budget on ``calendar`` even when the cache holds one.
    """
    pauses: tuple[Pause, ...] = clock.pauses
    paused = clock.paused
    if paused:
        assert clock.paused_since is not None
        pauses = (*pauses, (clock.paused_since, max(now, clock.paused_since)))
    measure = measure_for(policy, calendar, shared)
    stopped = clock.stopped_at is not None
    # a stopped clock is final: its cached outcome holds on any later calendar
    fresh = clock.due_at is not None and (stopped or clock.calendar_version == calendar.version)
    budget: int | None
    if fresh and not paused:
        due = clock.due_at
        budget = clock.budget_us
        provisional = clock.provisional
        assert due is not None
        # the pauses that count are exactly those that began before the deadline
        counted = tuple(p for p in pauses if p[0] < due) if pauses else pauses
        if remeasure:
            budget = None  # measured below, as the time used is (see clock_status)
    else:
        due, counted = settle(policy, clock, calendar, pauses)
        budget = None
        provisional = _provisional(policy, calendar, clock.started_at, due)
    assert due is not None
    origin, segment = _segment(clock, counted)
    if budget is None:
        budget = clock.used_us + _active(origin, due, segment, measure)
    end = now if clock.stopped_at is None else min(now, clock.stopped_at)
    used = clock.used_us + _active(origin, end, segment, measure)
    alert = _next_alert(clock) if fresh else None
    # stdlib astimezone on our UTC datetimes: a fraction of building pendulum objects
    zone = calendar.zone
    state: ClockState
    if clock.stopped_at is not None and clock.stopped_at <= now:
        state = "met" if clock.stopped_at <= due else "breached"
    elif now > due or "breach" in clock.recorded:
        # a breach never hides, not even behind a pause that began after the deadline
        state = "breached"
    elif paused:
        state = "paused"
    else:
        state = "running"
    return SlaStatus(
        goal=clock.goal,
        variant=clock.variant,
        cycle=clock.cycle,
        state=state,
        started_at=clock.started_at.astimezone(zone),
        due_at=due.astimezone(zone),
        elapsed=_dt.timedelta(microseconds=used),
        remaining=_dt.timedelta(microseconds=budget - used),
        percent_used=100.0 * used / budget if budget else 100.0,
        provisional=provisional,
        recorded=clock.recorded,
        next_alert_at=None if alert is None else alert.astimezone(zone),
        target=policy.target.describe(),
        source=policy.source,
        confirmed=policy.confirmed,
        provisional_reason=(_unsettled(calendar, clock.started_at, due) if provisional else ""),
    )


def current_clocks(clocks: Sequence[SlaClock]) -> list[SlaClock]:
    """The newest clock (cycle) of each goal, in order of first start."""
    latest: dict[str, SlaClock] = {}
    for c in clocks:
        latest[c.goal] = c
    return list(latest.values())


_BREACH_DELAY = _dt.timedelta(microseconds=1)


def pending_marks(clock: SlaClock, policy: SlaPolicy) -> list[tuple[_dt.datetime, str, float]]:
    """Warnings and breach of ``clock`` not yet recorded: (instant it fires, mark, fraction).

    A clock breaches just *after* its deadline: one that stops exactly at ``due_at``
    has met it.
    """
    out: list[tuple[_dt.datetime, str, float]] = []
    if clock.due_at is None:
        return out
    if clock.stopped_at is None:
        for fraction, when in zip(policy.warn_at, clock.warn_times, strict=False):
            mark = f"warning:{round(fraction * 100)}"
            if mark not in clock.recorded:
                out.append((when, mark, fraction))
        if "breach" not in clock.recorded:
            out.append((clock.due_at + _BREACH_DELAY, "breach", 1.0))
    elif clock.stopped_at > clock.due_at and "breach" not in clock.recorded:
        out.append((clock.due_at + _BREACH_DELAY, "breach", 1.0))
    return out


def _next_alert(clock: SlaClock) -> _dt.datetime | None:
    """When ``advance`` will record this clock's next mark (UTC), from its cache."""
    due = clock.due_at
    if due is None or "breach" in clock.recorded:
        return None
    if clock.stopped_at is None:
        # thresholds are sorted and recorded in order: the next one is the first not yet
        # recorded
        recorded = clock.recorded
        done = sum(1 for m in recorded if m[0] == "w") if recorded else 0
        return clock.warn_times[done] if done < len(clock.warn_times) else due + _BREACH_DELAY
    if clock.stopped_at > due:
        return due + _BREACH_DELAY
    return None


def next_due_at(case: Case) -> _dt.datetime | None:
    """The earliest instant at which ``advance`` will record a warning or breach.

    Reads only what the case carries (no calendar needed): call it after every change
    and schedule a wake-up. The instant may already be past, meaning ``advance`` is
    overdue; ``None`` means no clock has anything pending (all paused or stopped).
    It is the earliest ``next_alert_at`` of the case's clocks.
    """
    if type(case) is not Case and not isinstance(case, Case):
        raise WrongTypeError(f"next_due_at needs a Case, got {type(case).__name__}")
    best: _dt.datetime | None = None
    for clock in case.clocks:
        when = _next_alert(clock)
        if when is not None and (best is None or when < best):
            best = when
    return best


def due_cases(cases: Iterable[Case], *, at: _dt.datetime) -> list[Case]:
    """Return the cases whose :func:`next_due_at` is at or before ``at``.

    One pass, constant work per case: a sweep of a million cases takes seconds.
    """
    limit = utc(at, "at")
    if isinstance(cases, str | bytes | Mapping) or not isinstance(cases, Iterable):
        raise WrongTypeError(f"due_cases needs an iterable of Case, got {type(cases).__name__}")
    out = []
    for case in cases:
        when = next_due_at(case)
        if when is not None and when <= limit:
            out.append(case)
    return out
