"""The key ring: one master key, one sub-key per purpose, none equal to another."""

from __future__ import annotations

import dataclasses

from clinvault.keys import KeyRing

MASTER = bytes(range(32))


def test_every_purpose_has_its_own_key() -> None:
    ring = KeyRing.from_master(MASTER)
    keys = [getattr(ring, field.name) for field in dataclasses.fields(ring)]
    assert all(len(key) == 32 for key in keys)
    assert len(set(keys)) == len(keys)
    assert MASTER not in keys


def test_derivation_is_stable_and_depends_on_the_master() -> None:
    assert KeyRing.from_master(MASTER) == KeyRing.from_master(MASTER)
    other = KeyRing.from_master(bytes(32))
    assert all(
        getattr(other, field.name) != getattr(KeyRing.from_master(MASTER), field.name)
        for field in dataclasses.fields(other)
    )
