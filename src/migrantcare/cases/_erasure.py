"""Erasure of a case's personal data (UU 27/2022), keeping its audit trail verifiable.

Personal data lives only in the case's :class:`Person` values, never in events, so it
can be erased without touching the hash chain: the persons become tombstones and the
erasure itself is recorded as an ``"erased"`` event that names which roles were erased
and nothing about who they were.
"""

from __future__ import annotations

import datetime as _dt
from typing import Final

import attrs

from migrantcare._validate import check_int
from migrantcare.exceptions import StaleCaseError, WrongTypeError
from migrantcare.offices._actors import Actor, check_actor
from migrantcare.records._case import Case, Person, canonical_json, in_time_order, make_event, utc

#: The name a tombstone carries in place of the erased person's.
ERASED_NAME: Final = "<erased>"
#: The person roles a case carries, in the order they are erased.
PERSON_ROLES: Final = ("complainant", "worker")


def tombstone(person: Person) -> Person:
    """Return the tombstone of ``person``: its kind kept, every personal field gone."""
    return Person(ERASED_NAME, kind=person.kind)


def is_tombstone(person: Person | None) -> bool:
    """Return whether ``person`` is the tombstone of an erased person."""
    return (
        person is not None
        and person.name == ERASED_NAME
        and person.passport_number is None
        and person.nik is None
        and person.phone is None
    )


def check_expected_version(case: Case, expected_version: int | None) -> None:
    """Refuse to act on ``case`` when it is not at ``expected_version`` (``None``: any).

    Raises:
        WrongTypeError: ``expected_version`` is not an int.
        InvalidArgumentError: it is below 1.
        StaleCaseError: the case is at another version (it changed since it was read).
    """
    if expected_version is None:
        return
    check_int(expected_version, "expected_version", minimum=1)
    if expected_version != case.version:
        raise StaleCaseError(
            f"case {case.id!r} is at version {case.version}, not {expected_version}: "
            "it changed since it was read; reload it and try again",
            expected=expected_version,
            actual=case.version,
        )


def erase_personal_data(
    case: Case,
    *,
    at: _dt.datetime,
    by: Actor,
    note: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Return ``case`` with its persons replaced by tombstones, the erasure recorded.

    The new ``"erased"`` event (name ``"erase"``, state unchanged) carries only the
    roles erased (``{"roles": ["complainant"]}``), never personal data, so the chain
    still verifies and replays. The complainant type (``kind``) is kept: reports count
    by it and it identifies nobody. Erasing an already erased case changes nothing.

    Args:
        case: The case.
        at: When the erasure was done (aware; not before the newest event).
        by: Who did it (an :class:`~migrantcare.Actor`, e.g. the data-protection officer).
        note: A note for the file; it is hashed and kept forever, so it must not
            contain personal data either.
        expected_version: The version the caller read (``None``: do not check); a
            case at another version raises :class:`StaleCaseError` and is not erased.

    Raises:
        WrongTypeError: ``case`` is not a Case.
        InvalidArgumentError: ``at`` is before the case's newest event.
        StaleCaseError: the case is not at ``expected_version``.

    Examples:
        >>> import datetime as dt
        >>> from migrantcare import Actor, complaint_workflow, WorkingCalendar, Person
        >>> wf, cal = complaint_workflow(), WorkingCalendar.indonesia()
        >>> t = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
        >>> agent = Actor("cc-1", roles={"call_centre"})
        >>> case = wf.open("C-1", at=t, by=agent, office="bp3mi-ntt",
        ...                category="unpaid_wages", channel="call_center",
        ...                complainant=Person("Siti Aminah"), calendar=cal)
        >>> dpo = Actor("dpo-1", roles={"head_of_office"}, office="bp3mi-ntt")
        >>> erased = erase_personal_data(case, at=t, by=dpo)
        >>> erased.complainant
        Person(kind='pmi', name=<redacted>, passport_number=None, nik=None, phone=None)
        >>> erased.events[-1].kind, erased.events[-1].data
        ('erased', {'roles': ['complainant']})
        >>> erased.verify()
    """
    if not isinstance(case, Case):
        raise WrongTypeError(f"expected a Case, got {type(case).__name__}")
    check_expected_version(case, expected_version)
    when, actor = utc(at, "at"), check_actor(by)
    last = case.events[-1]
    when = in_time_order(case, when)  # a little clock skew is absorbed, or raises
    persons = {role: getattr(case, role) for role in PERSON_ROLES}
    roles = [r for r, p in persons.items() if p is not None and not is_tombstone(p)]
    if not roles:
        return case
    event = make_event(
        last,
        "erased",
        "erase",
        case.state,
        case.state,
        when,
        actor.id,
        actor.role,
        actor.office,
        note,
        canonical_json({"roles": roles}),
    )
    complainant, worker = (
        tombstone(p) if p is not None and role in roles else p for role, p in persons.items()
    )
    return attrs.evolve(case, events=(*case.events, event), complainant=complainant, worker=worker)
