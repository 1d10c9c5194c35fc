"""Actors shared by the tests (an officer-like actor per id, and the standard ones)."""

from __future__ import annotations

from migrantcare import Actor


def actor(actor_id: str, *roles: str, office: str | None = None) -> Actor:
    """An actor with ``roles`` (``officer`` when none are given)."""
    return Actor(actor_id, roles=roles or ("officer",), office=office)


CC = Actor("cc", roles={"call_centre"})
OFFICER = Actor("o", roles={"officer"}, office="o")
