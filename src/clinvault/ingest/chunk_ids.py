"""Opaque, stable point ids: a keyed hash of (resource, part) shaped as a UUID."""

from __future__ import annotations

import uuid

from clinvault.keys import KeyRing


def chunk_id(keys: KeyRing, resource_token: str, part: str) -> str:
    digest = keys.blind_index("chunk", f"{resource_token}\x1f{part}")
    return str(uuid.UUID(hex=digest[:32]))
