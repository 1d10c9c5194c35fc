"""Notices declared on a workflow definition: which point, to whom, which message, which values.

A :class:`NoticeSpec` is plain data, so a definition read from a TOML or JSON file can
declare notices too. The values a notice passes are named by *sources*, a deliberately
small language (no code, no attribute access) that :func:`compile_source` parses once
when the spec is made; resolving one at run time is a dictionary lookup and a call.

Sources (alternatives separated by ``|``: the first that resolves wins):

* ``case_number``, ``office``, ``contact`` — the case id, the office's display name,
  the contact line;
* ``receipt`` — the complainant's receipt: the case id, the first 16 hex digits of the
  opening's hash and the day it opened (checked later against a published digest);
* ``complainant.name``, ``worker.name`` — names of the case's persons;
* ``event.at``, ``event.date`` — when the event happened (instant, or its date in UTC);
* ``state`` — the state the event led to (rendered as its label);
* ``category`` — the case's category as a vocabulary term;
* ``due.<goal>`` — when the case's newest clock of SLA goal ``<goal>`` is due;
* ``period.<goal>`` — the target of ``<goal>`` as a plural count ("15 working days");
* ``provisional`` — passed by every notice on an SLA point without being declared: the
  catalog's ``sla.provisional`` sentence when the goal's deadline rests on holiday data
  not settled yet, else an empty text;
* ``sla.goal``, ``sla.due``, ``sla.percent`` — on SLA warnings and breaches: the goal's
  name, its due instant, the threshold crossed (the goal and due instant also on an
  event a breach fired);
* ``data.<key>`` — a value of the event's data, optionally typed: ``data.<key>:datetime``
  (an ISO 8601 text), ``data.<key>:date``, ``data.<key>:money`` (a number of rupiah),
  ``data.<key>:number``, ``data.<key>:office`` (an office id, shown as the office's name),
  ``data.<key>:term.<vocabulary>`` (a code, or a list of codes);
* ``attr.<key>`` — an integrator attribute of the case;
* ``ref.<message key>`` — another message of the catalog, e.g. ``ref.doc.supporting``;
* ``plural:<message key>:<count>`` — a fixed count, e.g. ``plural:unit.working_days:15``;
* ``'text'`` — literal text.

A source that does not resolve (no such data, no complainant…) makes the notice not
apply unless an alternative resolves: a notice is produced only when every value it
passes is known.
"""

from __future__ import annotations

import datetime as _dt
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs

from migrantcare._vocab import (
    CLOSURE_REASONS,
    DOCUMENT_TYPES,
    OUTREACH_CATEGORIES,
    REPATRIATION_CATEGORIES,
    Vocabulary,
    check_code,
)
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.messages._messages import CatalogProblem, MessageRef, Messages, Money, Plural
from migrantcare.records._receipt import receipt_of
from migrantcare.sla._sla import CaseMatch
from migrantcare.sla._units import SLA_UNITS

if TYPE_CHECKING:
    from migrantcare.cases._workflow import State, WorkflowSpec
    from migrantcare.records._case import Case, CaseEvent
    from migrantcare.records._sla_state import SlaClock

#: The points of a case's life a notice can be declared on, besides a trigger name.
#: ``"*"`` is every state change that has no notice of its own (a fallback).
POINTS: Final = ("open", "*", "migrate", "transfer", "sla.warning", "sla.breach", "sla.escalation")
#: Values every notice passes without declaring them.
BASE_VALUES: Final = ("case_number", "office")
#: The points of SLA notices, which also pass ``provisional`` without declaring it: the
#: sentence ``sla.provisional`` of the catalog when the goal's deadline rests on
#: holiday data not settled yet (estimated dates, cuti bersama not decreed), else "".
SLA_POINTS: Final = frozenset({"sla.warning", "sla.breach", "sla.escalation"})
PROVISIONAL_NOTE: Final = "sla.provisional"
#: Recipients that are a person of the case: a notice to one the case does not have
#: (no complainant recorded) is not produced. ``family`` is the relative who asked
#: for a repatriation, recorded as the complainant.
PERSON_RECIPIENTS: Final = MappingProxyType(
    {"complainant": "complainant", "family": "complainant", "worker": "worker"}
)
#: Vocabularies a ``:term.<name>`` source can name besides the workflow's own four.
SHARED_VOCABULARIES: Final = MappingProxyType(
    {
        "closure_reasons": CLOSURE_REASONS,
        "document_types": DOCUMENT_TYPES,
        "outreach_categories": OUTREACH_CATEGORIES,
        "repatriation_categories": REPATRIATION_CATEGORIES,
    }
)
_OWN_VOCABULARIES: Final = ("categories", "channels", "complainant_types", "priorities")


class _Missing:
    """The value of a source that does not resolve."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class NoticeContext:
    """What a source reads: the workflow, the case as it was at the event, the event.

    The event's data is parsed on first use only: most notices never read it.
    """

    __slots__ = ("_data", "case", "contact", "event", "memo", "names", "office", "spec")

    def __init__(
        self,
        spec: WorkflowSpec,
        case: Case,
        event: CaseEvent,
        names: Callable[[str], Any],
        contact: str,
    ) -> None:
        """Gather what the sources of one event's notices read.

        ``names`` maps an office id to how the office is named in a notice.
        """
        self.spec = spec
        self.case = case
        self.event = event
        self.names = names
        self.office = names(case.office)
        self.contact = contact
        self._data: Mapping[str, Any] | None = None
        # source text -> value: notices of one event often pass the same values
        self.memo: dict[str, Any] = {}

    @property
    def data(self) -> Mapping[str, Any]:
        """The event's data (parsed once)."""
        if self._data is None:
            text = self.event.data_json
            self._data = {} if text == "{}" else self.event.data
        return self._data


#: A compiled source: context -> value or MISSING.
Resolver = Callable[[NoticeContext], Any]

_SOURCE_HELP = (
    "use case_number, office, contact, receipt, complainant.name, worker.name, event.at, "
    "event.date, state, category, due.<goal>, period.<goal>, sla.goal, sla.due, sla.percent, "
    "data.<key>[:datetime|:date|:money|:number|:office|:term.<vocabulary>], attr.<key>, "
    "ref.<message key>, plural:<message key>:<count> or 'text', alternatives separated by |"
)
_KEY = re.compile(r"^[a-z_][a-z0-9_]*$")
_MESSAGE_KEY = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$")


def _person(which: str) -> Resolver:
    def resolve(ctx: NoticeContext) -> Any:
        person = ctx.case.complainant if which == "complainant" else ctx.case.worker
        return MISSING if person is None or person.name is None else person.name

    return resolve


def _newest_clock(case: Case, goal: object, cycle: object = None) -> SlaClock | None:
    """The case's newest clock of ``goal`` (of that cycle, when one is given)."""
    for clock in reversed(case.clocks):
        if clock.goal == goal and (cycle is None or clock.cycle == cycle):
            return clock
    return None


def _due(goal: str) -> Resolver:
    def resolve(ctx: NoticeContext) -> Any:
        # _newest_clock's loop, written out: once per deadline a notice shows
        for clock in reversed(ctx.case.clocks):
            if clock.goal == goal:
                return MISSING if clock.due_at is None else clock.due_at
        return MISSING

    return resolve


def _period(goal: str) -> Resolver:
    def resolve(ctx: NoticeContext) -> Any:
        plan = ctx.spec.sla
        if plan is None:
            return MISSING
        for policy in plan.select(ctx.case):
            if policy.name == goal:
                period = SLA_UNITS[policy.target.unit].period(policy.target)
                return MISSING if period is None else Plural(*period)
        return MISSING

    return resolve


def _state(ctx: NoticeContext) -> Any:
    dest = ctx.event.dest
    state: State | None = next((s for s in ctx.spec.states if s.id == dest), None)
    return MISSING if state is None else state


def _category(ctx: NoticeContext) -> Any:
    vocab = ctx.spec.categories
    code = ctx.case.category
    return vocab.term(code) if code in vocab else code


def _sla(field: str) -> Resolver:
    def resolve(ctx: NoticeContext) -> Any:
        data = ctx.data
        if ctx.event.kind != "sla" or "goal" not in data:
            # an event fired by a breach (escalate_with) names the goal it escalates
            goal = data.get("sla_goal")
            if not isinstance(goal, str) or field == "percent":
                return MISSING
            return MessageRef(f"sla.goal.{goal}") if field == "goal" else _due(goal)(ctx)
        if field == "goal":
            return MessageRef(f"sla.goal.{data['goal']}")
        if field == "due":
            return _dt.datetime.fromisoformat(data["due_at"])
        return data.get("threshold_percent", MISSING)

    return resolve


def _provisional_note(ctx: NoticeContext) -> Any:
    """``provisional`` of an SLA notice: the note when the goal's deadline is provisional."""
    data = ctx.data
    goal = data.get("goal") if ctx.event.kind == "sla" else data.get("sla_goal")
    clock = _newest_clock(ctx.case, goal, data.get("cycle"))
    return MessageRef(PROVISIONAL_NOTE) if clock is not None and clock.provisional else ""


def vocabulary(spec: WorkflowSpec, name: str) -> Vocabulary:
    """Return the vocabulary a ``:term.<name>`` source names, for ``spec``."""
    if name in _OWN_VOCABULARIES:
        vocab: Vocabulary = getattr(spec, name)
        return vocab
    return SHARED_VOCABULARIES[name]


def _instant(value: Any) -> _dt.datetime | None:
    """``value`` read as an ISO 8601 text, or ``None`` if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return _dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _as_datetime(value: Any) -> Any:
    parsed = _instant(value)
    # a naive instant could be in any zone: not shown rather than shown wrong
    return MISSING if parsed is None or parsed.utcoffset() is None else parsed


def _as_date(value: Any) -> Any:
    parsed = _instant(value)
    return MISSING if parsed is None else parsed.date()


def _as_number(value: Any) -> Any:
    # bool is an int to Python, not a number to a reader
    return MISSING if isinstance(value, bool) or not isinstance(value, int | float) else value


def _as_money(value: Any) -> Any:
    number = _as_number(value)
    return MISSING if number is MISSING else Money(number)


#: ``data.<key>:<kind>``: how a value of the event's data is read as ``<kind>``.
_READ_AS: Final[Mapping[str, Callable[[Any], Any]]] = MappingProxyType(
    {
        "datetime": _as_datetime,
        "date": _as_date,
        "money": _as_money,
        "number": _as_number,
    }
)


def _term(vocab: Vocabulary, code: Any) -> Any:
    """The term of ``code`` in ``vocab``; a code the vocabulary does not know as it is."""
    return vocab.term(code) if isinstance(code, str) and code in vocab else code


def _terms(value: Any, vocab: Vocabulary) -> Any:
    """``value``, a code or a list of codes, as the terms of ``vocab``."""
    if isinstance(value, list):
        return [_term(vocab, code) for code in value] or MISSING
    return _term(vocab, value)


def _typed(value: Any, kind: str, spec: WorkflowSpec) -> Any:
    if value is None:
        return MISSING
    if kind == "":
        return value
    read = _READ_AS.get(kind)
    if read is not None:
        return read(value)
    return _terms(value, vocabulary(spec, kind.removeprefix("term.")))


def _data(key: str, kind: str) -> Resolver:
    if kind == "office":

        def resolve_office(ctx: NoticeContext) -> Any:
            value = ctx.data.get(key)
            return ctx.names(value) if isinstance(value, str) else MISSING

        return resolve_office
    shared = SHARED_VOCABULARIES.get(kind.removeprefix("term."))
    if shared is not None:
        # a fixed vocabulary: look the code up directly
        def resolve_term(ctx: NoticeContext) -> Any:
            value = ctx.data.get(key)
            if isinstance(value, str):
                return shared.term(value) if value in shared else value
            return _typed(value, kind, ctx.spec)

        return resolve_term

    def resolve(ctx: NoticeContext) -> Any:
        return _typed(ctx.data.get(key), kind, ctx.spec)

    return resolve


def _attr(key: str) -> Resolver:
    def resolve(ctx: NoticeContext) -> Any:
        value = ctx.case.attributes.get(key)
        return MISSING if value is None else value

    return resolve


def _constant(value: Any) -> Resolver:
    return lambda _ctx: value


_SIMPLE: Final[Mapping[str, Resolver]] = MappingProxyType(
    {
        "case_number": lambda ctx: ctx.case.id,
        "office": lambda ctx: ctx.office,
        "contact": lambda ctx: ctx.contact,
        "receipt": lambda ctx: receipt_of(ctx.case),
        "complainant.name": _person("complainant"),
        "worker.name": _person("worker"),
        "event.at": lambda ctx: ctx.event.at,
        "event.date": lambda ctx: ctx.event.at.date(),
        "state": _state,
        "category": _category,
        "sla.goal": _sla("goal"),
        "sla.due": _sla("due"),
        "sla.percent": _sla("percent"),
    }
)


def _literal(text: str) -> Resolver | None:
    """``'text'``: the text between the quotes."""
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return _constant(text[1:-1])
    return None


#: The kinds a ``data.<key>:<kind>`` source can name besides ``term.<vocabulary>``.
_DATA_KINDS: Final = frozenset({"", "datetime", "date", "money", "number", "office"})


def _data_kind_known(kind: str) -> bool:
    if kind in _DATA_KINDS:
        return True
    vocab = kind.removeprefix("term.")
    return kind.startswith("term.") and (vocab in _OWN_VOCABULARIES or vocab in SHARED_VOCABULARIES)


def _data_source(text: str) -> Resolver | None:
    """``data.<key>`` or ``data.<key>:<kind>``, the kind one a value can be read as."""
    head, _, rest = text.partition(".")
    key, _, kind = rest.partition(":")
    if head == "data" and _KEY.match(key) and _data_kind_known(kind):
        return _data(key, kind)
    return None


def _message_ref(key: str) -> Resolver:
    """``ref.<message key>``: another message of the catalog, rendered with the notice."""
    return _constant(MessageRef(key))


#: ``<head>.<rest>`` sources (``data.`` aside): what ``rest`` must look like, and the
#: resolver made of it.
_DOTTED: Final[Mapping[str, tuple[re.Pattern[str], Callable[[str], Resolver]]]] = MappingProxyType(
    {
        "due": (_KEY, _due),
        "period": (_KEY, _period),
        "attr": (_KEY, _attr),
        "ref": (_MESSAGE_KEY, _message_ref),
    }
)


def _dotted(text: str) -> Resolver | None:
    """``due.<goal>``, ``period.<goal>``, ``attr.<key>`` or ``ref.<message key>``."""
    head, _, rest = text.partition(".")
    rule = _DOTTED.get(head)
    if rule is None:
        return None
    pattern, make = rule
    return make(rest) if pattern.match(rest) else None


def _plural(text: str) -> Resolver | None:
    """``plural:<message key>:<count>``: a fixed count."""
    kind, _, rest = text.partition(":")
    key, _, count = rest.partition(":")
    if kind == "plural" and _MESSAGE_KEY.match(key) and count.isdigit():
        return _constant(Plural(key, int(count)))
    return None


#: How the sources other than the fixed names are parsed: each returns ``None`` for a
#: text that is not its kind of source (at most one recognises a text).
_PARSERS: Final = (_literal, _data_source, _dotted, _plural)


def _one(text: str, where: str) -> Resolver:
    simple = _SIMPLE.get(text)
    if simple is not None:
        return simple
    for parse in _PARSERS:
        resolver = parse(text)
        if resolver is not None:
            return resolver
    raise InvalidArgumentError(f"{where}: unknown value source {text!r}; {_SOURCE_HELP}")


def compile_source(source: str, where: str) -> tuple[Resolver, ...]:
    """Parse ``source`` into its alternatives.

    Raises:
        InvalidArgumentError: a part is not a known source (the message lists them).
    """
    if not isinstance(source, str):
        raise WrongTypeError(f"{where}: a value source must be a str, got {type(source).__name__}")
    return tuple(_one(part.strip(), where) for part in source.split("|"))


def source_parts(source: str) -> tuple[str, ...]:
    """The alternatives of ``source``, stripped (for checks that read them)."""
    return tuple(part.strip() for part in source.split("|"))


def _values(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), v) for k, v in items)


def _channels(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _check_on(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, str):
        raise WrongTypeError(f"notice 'on' must be a str, got {type(value).__name__}")
    if value not in POINTS:
        check_code(value, "notice 'on' (a trigger)")


def _check_key(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, str) or not _MESSAGE_KEY.match(value):
        raise InvalidArgumentError(
            f"notice key {value!r} is not a message key (dotted lower-case snake_case, "
            "e.g. 'complaint.registered.ack')"
        )


def _check_recipient(_instance: object, _attribute: object, value: Any) -> None:
    check_code(value, "notice recipient")


def _first_known(alternatives: tuple[Resolver, ...]) -> Resolver:
    """One resolver for a source's alternatives: the first value that resolves."""
    if len(alternatives) == 1:
        # the common source: called directly, as fast as before alternatives existed
        return alternatives[0]

    def resolve(ctx: NoticeContext) -> Any:
        for resolver in alternatives:
            value = resolver(ctx)
            if value is not MISSING:
                return value
        return MISSING

    return resolve


def _check_value_name(name: str, seen: set[str], where: str) -> None:
    """Refuse a value name that is no placeholder name, or one passed already."""
    if not _KEY.match(name):
        raise InvalidArgumentError(
            f"{where}: value name {name!r} is not a plain lower-case placeholder name"
        )
    if name in seen or name in BASE_VALUES:
        raise InvalidArgumentError(
            f"{where}: value {name!r} is given twice (case_number and office are always passed)"
        )


def _compiled_values(
    values: tuple[tuple[str, str], ...], where: str
) -> tuple[tuple[str, str, Resolver], ...]:
    """Each value's name, source and compiled resolver, the names checked."""
    seen: set[str] = set()
    compiled = []
    for name, source in values:
        _check_value_name(name, seen, where)
        seen.add(name)
        alternatives = compile_source(source, f"{where}, value {name!r}")
        compiled.append((name, source, _first_known(alternatives)))
    return tuple(compiled)


def _check_match(match: object, what: str) -> None:
    """Refuse a ``when`` or ``unless`` that is not a :class:`CaseMatch`."""
    if match is not None and not isinstance(match, CaseMatch):
        raise WrongTypeError(f"{what} must be a CaseMatch, got {type(match).__name__}")


@attrs.frozen
class NoticeSpec:
    """A notice a workflow declares: at which point, to whom, which message, which values.

    Attributes:
        on: Where it is produced: a trigger (``"request_documents"``), ``"open"``,
            ``"migrate"``, ``"transfer"``, ``"sla.warning"``, ``"sla.breach"``,
            ``"sla.escalation"`` (an event fired by a breach), or ``"*"``: every state
            change that has no notice of its own.
        key: The message key, e.g. ``"complaint.documents.request"``.
        recipient: Who it is for (``"complainant"``, ``"family"``, ``"officer"``,
            ``"office_head"``, ``"crisis_center"``…); a person recipient the case does
            not have produces nothing.
        values: Placeholder name -> value source (see the module documentation), in
            addition to ``case_number`` and ``office``, which every notice passes.
        channels: Channel variants the catalog has for it (``("sms",)`` means the key
            ``<key>.sms`` exists).
        when: Only for cases that match (category, priority, channel).
        unless: Not for cases that match.

    Examples:
        >>> n = NoticeSpec(
        ...     "request_documents",
        ...     "complaint.documents.request",
        ...     "complainant",
        ...     values={"name": "complainant.name", "answer_by": "due.documents | event.at"},
        ... )
        >>> sorted(n.provides)
        ['answer_by', 'case_number', 'name', 'office']
    """

    on: str = attrs.field(validator=_check_on)
    key: str = attrs.field(validator=_check_key)
    recipient: str = attrs.field(validator=_check_recipient)
    values: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_values)
    channels: tuple[str, ...] = attrs.field(default=(), converter=_channels)
    when: CaseMatch | None = None
    unless: CaseMatch | None = None
    _compiled: tuple[tuple[str, str, Resolver], ...] = attrs.field(init=False, eq=False, repr=False)
    # reads the recipient person off a case (None: the recipient is no person of the case)
    _person: Callable[[Case], Any] | None = attrs.field(init=False, eq=False, repr=False)
    # whether a value shows an SLA deadline (re-rendering an old event then replays)
    _shows_deadline: bool = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        where = f"notice {self.key!r} on {self.on!r}"
        compiled = _compiled_values(self.values, where)
        for channel in self.channels:
            check_code(channel, f"{where}: channel")
        _check_match(self.when, f"{where}: when")
        _check_match(self.unless, f"{where}: unless")
        # parsed once: resolving is then a call per value
        object.__setattr__(self, "_compiled", compiled)
        person = PERSON_RECIPIENTS.get(self.recipient)
        object.__setattr__(self, "_person", None if person is None else operator.attrgetter(person))
        object.__setattr__(
            self,
            "_shows_deadline",
            any(
                part.startswith("due.")
                for _, source in self.values
                for part in source_parts(source)
            ),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its declaration: the compiled resolvers are closures, which do
        # not pickle (hosts hand workflows to worker processes)
        return (
            NoticeSpec,
            (self.on, self.key, self.recipient, self.values, self.channels, self.when, self.unless),
        )

    @property
    def provides(self) -> frozenset[str]:
        """The placeholder names this notice passes (its values and the base values)."""
        base = (*BASE_VALUES, "provisional") if self.on in SLA_POINTS else BASE_VALUES
        return frozenset(base).union(name for name, _ in self.values)

    @property
    def sources(self) -> Mapping[str, str]:
        """Placeholder name -> source, as a new dict."""
        return dict(self.values)

    def applies(self, case: Case) -> bool:
        """Return whether this notice concerns ``case`` (its person and its match rules)."""
        person = self._person
        if person is not None and person(case) is None:
            return False
        if self.when is not None and not self.when.matches(case):
            return False
        return self.unless is None or not self.unless.matches(case)

    def resolve(self, ctx: NoticeContext) -> dict[str, Any] | None:
        """Return the values for ``ctx`` (base values included), or ``None`` if one is unknown."""
        out: dict[str, Any] = {"case_number": ctx.case.id, "office": ctx.office}
        if self.on in SLA_POINTS:
            out["provisional"] = _provisional_note(ctx)
        memo = ctx.memo
        for name, source, resolver in self._compiled:
            value = memo.get(source, MISSING)
            if value is MISSING:
                value = resolver(ctx)
                if value is MISSING:
                    return None
                memo[source] = value
            out[name] = value
        return out


def notice_index(notices: Iterable[NoticeSpec]) -> dict[str, tuple[NoticeSpec, ...]]:
    """Group ``notices`` by point, in declaration order (for a lookup per event)."""
    index: dict[str, list[NoticeSpec]] = {}
    for n in notices:
        index.setdefault(n.on, []).append(n)
    return {k: tuple(v) for k, v in index.items()}


def _need(  # noqa: PLR0917 - private helper of check_messages
    messages: Messages,
    locale: str,
    key: str,
    why: str,
    provides: frozenset[str],
    problems: list[CatalogProblem],
) -> bool:
    """Report ``key`` missing in ``locale`` or needing more than ``provides``."""
    if key not in messages.keys(locale):
        problems.append(CatalogProblem("missing", locale, key, f"{why}: not in this locale"))
        return False
    extra = messages.placeholders(key, locale) - provides
    if extra:
        problems.append(
            CatalogProblem(
                "placeholders",
                locale,
                key,
                f"{why}: the template uses {{{', '.join(sorted(extra))}}}, which the notice "
                f"does not pass (it passes {', '.join(sorted(provides)) or 'nothing'})",
            )
        )
    return True


def _unused(n: NoticeSpec, messages: Messages, locale: str, why: str) -> list[CatalogProblem]:
    """The values ``n`` passes that its template (present in ``locale``) never uses."""
    unused = {name for name, _ in n.values} - messages.placeholders(n.key, locale)
    if not unused:
        return []
    detail = f"{why}: passes {{{', '.join(sorted(unused))}}}, which the template does not use"
    return [CatalogProblem("unused", locale, n.key, detail)]


def _shows_provisional(n: NoticeSpec, messages: Messages, locale: str) -> bool:
    """Whether ``n``'s template in ``locale`` shows the note on a provisional deadline."""
    return (
        n.on in SLA_POINTS
        and n.key in messages.keys(locale)
        and "provisional" in messages.placeholders(n.key, locale)
    )


def _referred(part: str) -> tuple[str, frozenset[str]] | None:
    """The message a ``ref.`` or ``plural:`` source part names, and the values it gets."""
    head, _, rest = part.partition(".")
    if head == "ref":
        return rest, frozenset()
    if part.startswith("plural:"):
        return part.split(":")[1], frozenset({"count"})
    return None


def _check_notice(
    spec: WorkflowSpec, n: NoticeSpec, messages: Messages, locale: str
) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    why = f"notice on {n.on!r} to {n.recipient}"
    if _need(messages, locale, n.key, why, n.provides, problems):
        problems.extend(_unused(n, messages, locale, why))
    for channel in n.channels:
        what = f"{why}, channel {channel!r}"
        _need(messages, locale, f"{n.key}.{channel}", what, n.provides, problems)
    if _shows_provisional(n, messages, locale):
        what = f"{why}: the note on a provisional deadline"
        _need(messages, locale, PROVISIONAL_NOTE, what, frozenset(), problems)
    _check_sources(spec, n, why, messages, locale, problems)
    _check_goal_names(spec, n, messages, locale, problems)
    return problems


def _check_sources(  # noqa: PLR0917 - private helper of _check_notice
    spec: WorkflowSpec,
    n: NoticeSpec,
    why: str,
    messages: Messages,
    locale: str,
    problems: list[CatalogProblem],
) -> None:
    """Check the messages the sources of ``n``'s values name: ``ref.``, ``plural:``, ``period.``."""
    count = frozenset({"count"})
    for name, source in n.values:
        what = f"{why}, value {name!r}"
        for part in source_parts(source):
            referred = _referred(part)
            if referred is not None:
                _need(messages, locale, referred[0], what, referred[1], problems)
            head, _, rest = part.partition(".")
            if head == "period" and spec.sla is not None:
                for policy in spec.sla.policies:
                    if policy.name == rest:
                        unit = SLA_UNITS[policy.target.unit].message_key
                        _need(messages, locale, unit, what, count, problems)


def _check_goal_names(
    spec: WorkflowSpec,
    n: NoticeSpec,
    messages: Messages,
    locale: str,
    problems: list[CatalogProblem],
) -> None:
    """Check the name of every SLA goal when ``n`` shows one (an ``sla.goal`` source)."""
    if spec.sla is None or not any("sla.goal" in source_parts(s) for _, s in n.values):
        return
    for goal in spec.sla.goals:
        what = f"the name of SLA goal {goal!r}, shown in SLA notices"
        _need(messages, locale, f"sla.goal.{goal}", what, frozenset(), problems)


def check_messages(spec: WorkflowSpec, messages: Messages) -> list[CatalogProblem]:
    """Check that ``messages`` can render every notice ``spec`` declares, in every locale.

    Reports, before any case exists: a notice's message (or a channel variant of it)
    missing in a locale; a placeholder a template needs that the notice does not pass;
    a value the notice passes that its template never uses; a message a value refers
    to (``ref.``, ``plural:``, a goal's ``period.``) missing; and the name of every SLA
    goal (``sla.goal.<goal>``) when a notice shows one.

    Args:
        spec: The workflow definition.
        messages: The catalogs, with the integrator's overrides layered in.

    Returns:
        The problems found, in a stable order; empty when every notice renders.
    """
    problems: list[CatalogProblem] = []
    for locale in messages.locales:
        for n in spec.notices:
            problems.extend(_check_notice(spec, n, messages, locale))
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.locale, p.key, p.kind, p.detail))
