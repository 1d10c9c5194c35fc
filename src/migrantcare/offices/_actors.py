"""Who acts on a case: an :class:`Actor` with roles and, usually, an office.

The permission rules that decide what a role may do live elsewhere; an actor is only
the identity an operation is performed under. Every event records the actor's id, the
role that authorised it and the actor's office, inside the hash chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import attrs

from migrantcare._validate import check_id, quote
from migrantcare.exceptions import InvalidArgumentError, WrongTypeError
from migrantcare.records._case import actor_text

#: The standard roles (an integrator may use others), in the order the docs list them.
STANDARD_ROLES: Final = (
    "call_centre",
    "officer",
    "head_of_office",
    "ministry_hq",
    "crisis_centre",
    "system",
)


def _roles(value: Iterable[str] | str) -> frozenset[str]:
    if isinstance(value, str):
        # a bare str would silently become a set of letters
        raise WrongTypeError(
            f"roles must be a set of role names, got the str {quote(value)}; "
            f"write roles={{{quote(value)}}}"
        )
    if not isinstance(value, Iterable):
        raise WrongTypeError(f"roles must be an iterable of str, got {type(value).__name__}")
    roles = tuple(value)
    for role in roles:
        check_id(role, "a role")
    return frozenset(roles)


@attrs.frozen
class Actor:
    """Someone (or something) acting on cases: an officer, a call-centre agent, the system.

    Attributes:
        id: A stable id of the person or system (an account id, never their name).
        roles: The roles the actor holds, e.g. ``{"officer"}``; the standard ones are
            ``call_centre``, ``officer``, ``head_of_office``, ``ministry_hq``,
            ``crisis_centre`` and ``system``.
        office: The office the actor works for, or ``None`` (national roles, the system).
        role: The role recorded on events (not an argument). An operation on a workflow
            with permissions records the role that authorised it (see
            :meth:`acting_as`); otherwise this is the first of ``roles`` in sorted
            order, or ``None``.

    Examples:
        >>> officer = Actor("u-1042", roles={"officer"}, office="bp3mi-ntb")
        >>> officer.role
        'officer'
    """

    id: str
    roles: frozenset[str] = attrs.field(converter=_roles)
    office: str | None = None
    # a plain slot, not a property: the permission check reads it on every event
    role: str | None = attrs.field(init=False, eq=False, repr=False)
    # the hashed text of (id, role, office) on the events it performs: made once
    _text: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_id(self.id, "actor id")
        if self.office is not None:
            check_id(self.office, "actor office")
        # recorded on every event this actor performs: chosen once here
        role = min(self.roles) if self.roles else None
        object.__setattr__(self, "role", role)
        object.__setattr__(self, "_text", actor_text(self.id, role, self.office))

    def acting_as(self, role: str | None) -> Actor:
        """Return this actor recording ``role`` (one it holds) on the events it performs.

        Raises:
            InvalidArgumentError: the actor does not hold ``role``.
        """
        if role == self.role:
            return self
        if role is not None and role not in self.roles:
            raise InvalidArgumentError(
                f"actor {self.id!r} does not hold role {role!r:.80}; its roles: "
                f"{', '.join(sorted(self.roles)) or 'none'}"
            )
        # once per event for actors with several roles: a bare copy, not attrs.evolve
        clone = object.__new__(Actor)
        for name, value in (
            ("id", self.id),
            ("roles", self.roles),
            ("office", self.office),
            ("role", role),
            ("_text", actor_text(self.id, role, self.office)),
        ):
            object.__setattr__(clone, name, value)
        return clone


SYSTEM: Final = Actor("system:sla", roles={"system"})
"""The actor of scheduled SLA sweeps (``advance``, ``recompute``): role ``system``, all offices."""


def recorded_text(actor: Actor) -> str:
    """The text an event's hash records for ``actor``: its id, role and office.

    Made once when the actor is built (``actor_text``), so the engine's fire path reads
    it here instead of joining the three again per event.
    """
    return actor._text


def acted_by_system(by: str, role: str | None) -> bool:
    """Whether an event was the system's doing rather than a person's.

    The role that authorised the event says so (``system``); an event of an unbound
    workflow records no role, and then the actor id's ``system:`` prefix does (as
    :data:`SYSTEM`'s). The reports' first-response rule rests on this one test.

    Args:
        by: The event's actor id.
        role: The role recorded with the event, or ``None``.
    """
    return role == "system" if role is not None else by.startswith("system:")


def check_actor(by: object) -> Actor:
    """Return ``by`` if it is an :class:`Actor`.

    Raises:
        WrongTypeError: ``by`` is anything else (a plain id string included).
    """
    if type(by) is Actor or isinstance(by, Actor):
        return by
    if isinstance(by, str):
        raise WrongTypeError(
            "by must be an Actor (e.g. Actor('u-1042', roles={'officer'}, office='bp3mi-ntb')), "
            "got a str; plain ids are no longer accepted"
        )
    raise WrongTypeError(f"by must be an Actor, got {type(by).__name__}")
