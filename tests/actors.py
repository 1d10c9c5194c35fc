"""Actors shared by the tests.

The standard workflows check who may act (see ``docs/permissions.md``): an officer acts on
its own office's cases, the call centre opens cases for every office. ``actor(id)`` is a
desk at BP3MI Nusa Tenggara Timur (the office most tests use), run by its head, that also
answers the call centre's line; tests on other offices pass ``office=``.
"""

from __future__ import annotations

from migrantcare import Actor

#: The office of ``actor(id)`` when no office is given.
HOME = "bp3mi-ntt"
_DESK = ("officer", "head_of_office", "call_centre")


def actor(actor_id: str, *roles: str, office: str | None = HOME) -> Actor:
    """An actor with ``roles`` (those of a desk at ``HOME`` when none are given)."""
    return Actor(actor_id, roles=roles or _DESK, office=office)


CC = Actor("cc", roles={"call_centre"})
OFFICER = Actor("o", roles={"officer"}, office="o")
