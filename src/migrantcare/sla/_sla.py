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

from migrantcare._time import micros
from migrantcare._validate import check_name, check_text, quote
from migrantcare._vocab import check_code
from migrantcare.calendar._calendar import WorkingCalendar
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.messages._jsonable import instant, maybe_instant, number, read_instant, seconds
from migrantcare.records._case import Case, utc
from migrantcare.records._sla_state import Pause, SlaClock, new_clock
from migrantcare.sla._measure import Measure, active_time, advance, segment
from migrantcare.sla._units import MAX_TARGET as MAX_TARGET  # noqa: PLC0414 - importable here
from migrantcare.sla._units import MAX_TARGET_DAYS as MAX_TARGET_DAYS  # noqa: PLC0414 - as before
from migrantcare.sla._units import Unit, unit_named

if TYPE_CHECKING:
    from migrantcare.records._case import CaseEvent

#: How a target is counted: the name of one of :data:`SLA_UNITS`.
SlaUnit = str
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
    # the unit's strategy, and the words status() reports for every clock: found once
    _kind: Unit = attrs.field(init=False, eq=False, repr=False)
    _description: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        kind = unit_named(self.unit)
        kind.check(self.days, self.duration)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_description", kind.describe(self))

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


def _duration(amount: object, seconds: int, unit: str) -> _dt.timedelta:
    """``amount`` units of ``seconds`` each, refused unless a finite, datable number."""
    value = _amount(amount, unit)
    if not math.isfinite(value) or not 0 < value * seconds <= MAX_TARGET.total_seconds():
        raise InvalidArgumentError(
            f"a target in {unit} needs a positive duration of at most {MAX_TARGET.days} days, "
            f"got {quote(amount)}"
        )
    return _dt.timedelta(seconds=value * seconds)


def _amount(amount: object, unit: str) -> float:
    """``amount`` as a float, refused unless an int or float.

    An int too large for a float reads as infinity (refused after, as out of range).
    """
    if type(amount) not in (int, float):
        raise WrongTypeError(
            f"a target in {unit} needs a number, got {type(amount).__name__} {quote(amount)}"
        )
    return float(amount) if type(amount) is float or abs(amount) < 2**60 else math.inf  # type: ignore[arg-type]


def _collection(value: object, refusal: str) -> Iterable[Any]:
    """``value``, refused (``refusal``, then its type) unless a collection of items.

    Text, bytes and mappings are iterable but never a list of items here.
    """
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise WrongTypeError(f"{refusal}, got {type(value).__name__}")
    return value


def _states(value: str | Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    items = tuple(_collection(value, "states and events must be a str or an iterable of str"))
    for item in items:
        if type(item) is not str:
            raise WrongTypeError(
                f"states and events must be str, got {type(item).__name__} {quote(item)}"
            )
    return frozenset(items)


def _policies(value: Iterable[SlaPolicy]) -> tuple[SlaPolicy, ...]:
    out = tuple(_collection(value, "an SLA plan needs SlaPolicy values"))
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


def _fraction(value: object) -> float:
    """One warning threshold as a float, refused unless a number (range checked after)."""
    if type(value) not in (int, float):
        raise WrongTypeError(
            f"warning thresholds must be numbers, got {type(value).__name__} {quote(value)}"
        )
    return float(value)  # type: ignore[arg-type]


def _fractions(value: Iterable[float]) -> tuple[float, ...]:
    # every threshold's type is checked before any range: a wrong type is reported first
    items = tuple(_fraction(v) for v in _collection(value, "warn_at must be fractions"))
    out = tuple(sorted(items))
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
        self._refuse_endless()
        self._work_out_lookups()

    def _refuse_endless(self) -> None:
        """Refuse a policy whose clock could never start, or never stop."""
        for verb, states, events, field in (
            ("starts", self.start_states, self.start_events, "start"),
            ("stops", self.stop_states, self.stop_events, "stop"),
        ):
            if not (states or events):
                raise InvalidArgumentError(f"SLA policy {self.name!r} never {verb}: give {field}_*")

    def _work_out_lookups(self) -> None:
        """Work out once what every event and status reads of this policy."""
        # what can concern this policy's clock: read on every event
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
        return [
            problem for p in self.policies for problem in _problems_of(p, states, triggers, where)
        ]


def _problems_of(policy: SlaPolicy, states: set[str], triggers: set[str], where: str) -> list[str]:
    """The states and events ``policy`` names that a workflow lacks, in words."""
    problems = []
    for label, names, known in (
        ("state", policy.start_states | policy.pause_states | policy.stop_states, states),
        ("event", policy.start_events | policy.stop_events, triggers),
    ):
        for n in sorted(names - known):
            problems.append(f"{where}: SLA policy {policy.name!r} names unknown {label} {n!r}")
    if policy.escalate_with is not None and policy.escalate_with not in triggers:
        problems.append(
            f"{where}: SLA policy {policy.name!r} escalates with unknown event "
            f"{policy.escalate_with!r}"
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
    if concerned is None or not none_paused:  # given, and none paused: no call
        concerned = _concerned(clocks, policies, event, concerned, none_paused)
    if not concerned:
        return clocks, _NOTHING_STALE
    update = _Update(clocks, event.at, calendar)
    for p, stops, pauses, starts in concerned:
        index = update.latest.get(p.name)
        clock = None if index is None else update.clocks[index]
        if clock is not None and clock.stopped_at is None:
            assert index is not None
            update.move(index, clock, stops, pauses)
        elif starts:
            update.start(p, 1 if clock is None else clock.cycle + 1, pauses)
    return update.result()


def _concerned(
    clocks: tuple[SlaClock, ...],
    policies: Sequence[SlaPolicy],
    event: CaseEvent,
    concerned: Sequence[Concern] | None,
    none_paused: bool,
) -> Sequence[Concern]:
    """What ``event`` does to each clock: ``concerned`` unless a clock is paused."""
    for c in () if none_paused else clocks:
        if c.paused_since is not None and c.stopped_at is None:
            # every event concerns a paused clock: it may resume it
            waiting = {
                c.goal for c in clocks if c.paused_since is not None and c.stopped_at is None
            }
            return concerns(policies, event.name, event.dest, entered_state(event), waiting)
    if concerned is None:
        return concerns(policies, event.name, event.dest, entered_state(event))
    return concerned


def _moved(c: SlaClock, stops: bool, pauses: bool, at: _dt.datetime) -> SlaClock | None:
    """An unstopped clock ``c`` after an event that stops, pauses or resumes it, else ``None``."""
    since = c.paused_since
    if stops:
        return _stopped(c, c.pauses if since is None else (*c.pauses, (since, at)), at)
    if since is None:
        if not pauses:
            return None
        # a pause that cannot move the deadline (it began too late) keeps it: refresh
        return _rebuilt(
            c, c.pauses, at, None, c.recorded, None, (), None, c.calendar_version, c.provisional
        )
    if pauses:
        return None
    return _rebuilt(
        c, (*c.pauses, (since, at)), None, None, c.recorded, c.due_at, c.warn_times,
        c.budget_us, c.calendar_version, c.provisional,
    )  # fmt: skip


class _Update:
    """The clocks of a case as one event changes them, and which need their cache again."""

    __slots__ = ("at", "calendar", "clocks", "latest", "point", "stale")

    def __init__(
        self, clocks: tuple[SlaClock, ...], at: _dt.datetime, calendar: WorkingCalendar | None
    ) -> None:
        self.at = at
        # only a non-strict calendar computes a started clock's cache at once
        self.calendar = calendar if calendar is not None and not calendar.strict else None
        # every clock the event starts counts from its instant: one working position
        self.point: tuple[int, int] | None = None
        self.clocks = list(clocks)
        self.stale: list[int] = []
        # goal -> index of its newest clock (later cycles win)
        self.latest = {c.goal: i for i, c in enumerate(clocks)} if clocks else {}

    def result(self) -> tuple[tuple[SlaClock, ...], frozenset[int]]:
        """The clocks, and the positions of those whose cache must be computed again."""
        return tuple(self.clocks), frozenset(self.stale) if self.stale else _NOTHING_STALE

    def move(self, index: int, clock: SlaClock, stops: bool, pauses: bool) -> None:
        """Stop, pause or resume the unstopped clock at ``index``."""
        moved = _moved(clock, stops, pauses, self.at)
        if moved is not None:
            self.clocks[index] = moved
            # a clock that stops while running keeps its deadline
            if not stops or clock.paused_since is not None:
                self.stale.append(index)

    def start(self, p: SlaPolicy, cycle: int, pauses: bool) -> None:
        """Start cycle ``cycle`` of ``p``'s clock (paused if the event enters a pause state)."""
        at, calendar = self.at, self.calendar
        self.latest[p.name] = len(self.clocks)
        if calendar is None or pauses:
            if not pauses:
                self.stale.append(len(self.clocks))
            paused = at if pauses else None
            self.clocks.append(SlaClock(p.name, p.variant, cycle, at, paused_since=paused))
            return
        # what refresh(SlaClock(p.name, p.variant, cycle, at), p, calendar) gives on a
        # non-strict calendar, built once
        kind = p.target._kind
        if self.point is None and kind.on_calendar:
            self.point = calendar.working_time.locate(at)
        due, warns, budget, provisional = kind.fresh(p, at, calendar, self.point, ())
        self.clocks.append(
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


def _rebuilt(  # noqa: PLR0917 - every field an event or a computed cache changes
    c: SlaClock,
    pauses: tuple[Pause, ...],
    paused_since: _dt.datetime | None,
    stopped_at: _dt.datetime | None,
    recorded: tuple[str, ...],
    due_at: _dt.datetime | None,
    warn_times: tuple[_dt.datetime, ...],
    budget_us: int | None,
    calendar_version: str | None,
    provisional: bool,
) -> SlaClock:
    """``c`` with those fields changed, by the direct constructor.

    Runs on every stop, pause, resumption, mark and computed cache: ``attrs.evolve``
    costs several times more.
    """
    return new_clock(
        c.goal,
        c.variant,
        c.cycle,
        c.started_at,
        pauses,
        paused_since,
        stopped_at,
        recorded,
        due_at,
        warn_times,
        budget_us,
        calendar_version,
        provisional,
        c.rebased_at,
        c.used_us,
        c.used_days,
    )


def _stopped(c: SlaClock, pauses: tuple[Pause, ...], at: _dt.datetime) -> SlaClock:
    return _rebuilt(
        c, pauses, None, at, c.recorded, c.due_at, c.warn_times, c.budget_us,
        c.calendar_version, c.provisional,
    )  # fmt: skip


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
        _marked(c, mark) if c.goal == goal and c.cycle == cycle and mark not in c.recorded else c
        for c in clocks
    )


def _marked(c: SlaClock, mark: str) -> SlaClock:
    return _rebuilt(
        c, c.pauses, c.paused_since, c.stopped_at, (*c.recorded, mark), c.due_at,
        c.warn_times, c.budget_us, c.calendar_version, c.provisional,
    )  # fmt: skip


# --------------------------------------------------------------------------- arithmetic


def new_measure(calendar: WorkingCalendar) -> Measure:
    """A working-time measure to share across the clocks of one case."""
    return Measure(calendar)


def measure_for(
    policy: SlaPolicy, calendar: WorkingCalendar, shared: Measure | None = None
) -> Measure:
    """The time measure of ``policy`` on ``calendar`` (``shared`` if it is a working one)."""
    return policy.target._kind.measure(calendar, shared)


def settle(
    policy: SlaPolicy,
    clock: SlaClock,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause],
    measure: Measure | None = None,
) -> tuple[_dt.datetime, tuple[Pause, ...]]:
    """The deadline of ``clock`` (UTC) and the pauses that count towards it.

    A breach never hides: a pause counts only if it begins before the deadline that
    the pauses before it give, and then only for the working time (or the whole
    working days) it freezes. A pause, a waiting state or a stop that begins once the
    clock is due changes nothing. After a transfer (``rebased_at``) only the rest of
    the budget is counted, on ``calendar``, from the transfer instant.
    """
    return policy.target._kind.settle(policy, clock, calendar, pauses, measure)


def deadline(
    policy: SlaPolicy,
    clock: SlaClock,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause],
    measure: Measure | None = None,
) -> _dt.datetime:
    """The deadline of ``clock`` given ``pauses`` (UTC); see :func:`settle`."""
    return settle(policy, clock, calendar, pauses, measure)[0]


def fixed_while_paused(
    policy: SlaPolicy, clock: SlaClock, calendar: WorkingCalendar, measure: Measure | None = None
) -> tuple[_dt.datetime, tuple[Pause, ...]] | None:
    """The deadline of a paused clock if no length of its current pause can move it.

    That is the case when the pause began at or after the deadline, or (working days)
    when it cannot freeze a whole working day before it. ``None`` means the pause
    still moves the deadline (the clock is frozen).
    """
    p0 = clock.paused_since
    assert p0 is not None
    due, kept = settle(policy, clock, calendar, clock.pauses, measure)
    if p0 >= due or not policy.target._kind.pause_can_move(clock, calendar, due):
        return due, kept
    return None


def _provisional(
    policy: SlaPolicy, calendar: WorkingCalendar, start: _dt.datetime, due: _dt.datetime
) -> bool:
    """Whether a deadline from ``start`` to ``due`` rests on estimated holiday data."""
    return policy.target._kind.provisional(calendar, start, due)


def refresh(
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    shared: Measure | None = None,
) -> SlaClock:
    """Return ``clock`` with its cached deadline and warning instants computed on ``calendar``.

    A stopped clock that has its cache is final and comes back unchanged: its outcome
    never moves, whatever calendar is applied afterwards. ``shared`` is a working-time
    measure on ``calendar`` reused across the clocks an event changed.
    """
    if clock.stopped_at is not None:
        if clock.due_at is not None:
            return clock
    elif _only_ran(clock) and not calendar.strict:
        # a clock that has only run since it started (every clock an event starts):
        # deadline, budget and warnings straight from working positions, without the
        # general pause and transfer walk below (which gives the same instants)
        return _fresh(clock, policy, calendar)
    return _refresh_general(clock, policy, calendar, shared)


def _only_ran(clock: SlaClock) -> bool:
    """Whether ``clock`` was never paused nor transferred."""
    return (
        not clock.pauses
        and clock.paused_since is None
        and clock.rebased_at is None
        and not (clock.used_us or clock.used_days)
    )


def _refresh_general(
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    shared: Measure | None = None,
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
    budget = used + active_time(origin, due, pauses, measure)
    old = clock.warn_times
    warns = tuple(
        advance(origin, int(budget * f) - used, pauses, measure)
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
    due, warns, budget, provisional = policy.target._kind.fresh(
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
    c = clock
    return _rebuilt(
        c, c.pauses, c.paused_since, c.stopped_at, c.recorded, due, warns, budget,
        calendar.version, provisional,
    )  # fmt: skip


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
    used_us, used_days = _used_until(clock, policy, old, at)
    moved = attrs.evolve(clock, rebased_at=at, used_us=used_us, used_days=used_days)
    return refresh(moved, policy, new)


def _used_until(
    clock: SlaClock, policy: SlaPolicy, calendar: WorkingCalendar, at: _dt.datetime
) -> tuple[int, int]:
    """The time and working days ``clock`` has used by ``at``, measured on ``calendar``."""
    pauses = clock.pauses
    if clock.paused_since is not None:
        pauses = (*pauses, (clock.paused_since, at))
    origin, counted = segment(clock, pauses)
    before = tuple((p0, min(p1, at)) for p0, p1 in counted if p0 < at)
    kind = policy.target._kind
    used_us = clock.used_us + active_time(origin, at, before, kind.measure(calendar))
    used_days = clock.used_days + kind.used_days(clock, calendar, origin, at, before)
    return used_us, used_days


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
        _check_status_data(data)
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


def _check_status_data(data: object) -> None:
    """Refuse ``data`` unless a mapping with every key :meth:`SlaStatus.to_dict` writes."""
    if not isinstance(data, Mapping):
        raise WrongTypeError(f"expected a mapping, got {type(data).__name__}")
    missing = [k for k in _STATUS_FIELDS if k not in data]
    if missing:
        raise InvalidArgumentError(f"an SLA status needs {', '.join(missing)}")


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
    shared: Measure | None = None,
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
        # never paused nor transferred, cache current (most clocks): read the cache (the
        # test inline: status() runs it for every clock)
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


def _state(clock: SlaClock, now: _dt.datetime, due: _dt.datetime, paused: bool) -> ClockState:
    """Where ``clock`` stands at ``now`` against ``due``."""
    stopped = clock.stopped_at
    if stopped is not None and stopped <= now:
        return "met" if stopped <= due else "breached"
    if now > due or "breach" in clock.recorded:
        # a breach never hides, not even behind a pause that began after the deadline
        return "breached"
    return "paused" if paused else "running"


def _status_of_cached(  # noqa: PLR0917 - internal, hot path
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    now: _dt.datetime,
    due: _dt.datetime,
    budget: int,
    shared: Measure | None,
) -> SlaStatus:
    """:func:`clock_status` of a clock whose cache holds (equal to the general path)."""
    start = clock.started_at
    stopped = clock.stopped_at
    # _state's answer, inline (hot path: status() reads every clock of a case)
    state: ClockState
    if stopped is not None and stopped <= now:
        state = "met" if stopped <= due else "breached"
        end = stopped
    else:
        state = "breached" if now > due or "breach" in clock.recorded else "running"
        end = now
    used = clock.used_us
    if end > start:
        kind = policy.target._kind
        # the shared working measure without a call, for the units counted on the calendar
        measure = shared if shared is not None and kind.on_calendar else kind.measure(calendar)
        used += measure.between(start, end)
    zone = calendar.zone
    alert = _next_alert(clock)
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
        policy.target.describe(),
        policy.source,
        policy.confirmed,
        # worded only for a provisional deadline, and memoised per span of years
        _unsettled(calendar, start, due) if clock.provisional else "",
    )


def _unsettled(calendar: WorkingCalendar, start: _dt.datetime, due: _dt.datetime) -> str:
    """Why a deadline from ``start`` to ``due`` may move (English; memoised per years)."""
    return calendar.working_time.unsettled_reason(start.year, due.year, "en")


def _deadline_now(  # noqa: PLR0917 - internal, the parts of one status
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    pauses: tuple[Pause, ...],
    cached: bool,
    remeasure: bool,
) -> tuple[_dt.datetime, tuple[Pause, ...], int | None, bool]:
    """Deadline, the pauses counted, the budget if known, and the provisional flag."""
    if not cached:
        due, counted = settle(policy, clock, calendar, pauses)
        return due, counted, None, _provisional(policy, calendar, clock.started_at, due)
    known = clock.due_at
    assert known is not None
    # the pauses that count are exactly those that began before the deadline
    kept = tuple(p for p in pauses if p[0] < known) if pauses else pauses
    # remeasure: the budget is measured again, as the time used is (see clock_status)
    return known, kept, None if remeasure else clock.budget_us, clock.provisional


def _clock_status_general(
    clock: SlaClock,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    now: _dt.datetime,
    shared: Measure | None = None,
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
    # a stopped clock is final: its cached outcome holds on any later calendar
    fresh = clock.due_at is not None and (
        clock.stopped_at is not None or clock.calendar_version == calendar.version
    )
    due, counted, budget, provisional = _deadline_now(
        clock, policy, calendar, pauses, fresh and not paused, remeasure
    )
    origin, spans = segment(clock, counted)
    if budget is None:
        budget = clock.used_us + active_time(origin, due, spans, measure)
    end = now if clock.stopped_at is None else min(now, clock.stopped_at)
    used = clock.used_us + active_time(origin, end, spans, measure)
    alert = _next_alert(clock) if fresh else None
    # stdlib astimezone on our UTC datetimes: a fraction of building pendulum objects
    zone = calendar.zone
    return SlaStatus(
        goal=clock.goal,
        variant=clock.variant,
        cycle=clock.cycle,
        state=_state(clock, now, due, paused),
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
        provisional_reason=_unsettled(calendar, clock.started_at, due) if provisional else "",
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
    out = []
    for case in _collection(cases, "due_cases needs an iterable of Case"):
        when = next_due_at(case)
        if when is not None and when <= limit:
            out.append(case)
    return out
