"""Every pluggable part is chosen by name through its registry: an unknown name is a
``ConfigError`` that lists the known names (no silent fallback), and the built-in names
resolve to their factories."""

from __future__ import annotations

import pytest

from clinvault.errors import ConfigError
from clinvault.index.factory import EMBEDDERS, INDEXES
from clinvault.llm.clients import LLM_CLIENTS
from clinvault.phi import DETECTORS
from clinvault.registry import Registry
from clinvault.vault.store import VAULT_STORES

REGISTRIES: dict[str, tuple[Registry[object], set[str]]] = {
    "vault store": (VAULT_STORES, {"sqlite", "postgresql"}),  # type: ignore[dict-item]
    "embedder": (EMBEDDERS, {"sentence-transformers", "hashing"}),  # type: ignore[dict-item]
    "vector index": (INDEXES, {"edge", "qdrant-local", "qdrant"}),  # type: ignore[dict-item]
    "PHI detector": (DETECTORS, {"presidio"}),  # type: ignore[dict-item]
    "LLM client": (LLM_CLIENTS, {"litellm"}),  # type: ignore[dict-item]
}


@pytest.mark.parametrize("part", sorted(REGISTRIES))
def test_unknown_name_is_a_config_error_listing_the_known_names(part: str) -> None:
    registry, builtin = REGISTRIES[part]
    assert builtin <= set(registry.names())
    with pytest.raises(ConfigError) as raised:
        registry.factory("no-such-backend")
    message = str(raised.value)
    assert part in message
    assert "'no-such-backend'" in message
    for name in registry.names():
        assert name in message


@pytest.mark.parametrize(
    ("registry", "name"),
    [(VAULT_STORES, "sqlite"), (EMBEDDERS, "hashing"), (INDEXES, "edge"), (LLM_CLIENTS, "litellm")],
)
def test_builtin_names_resolve_to_callables(registry: Registry[object], name: str) -> None:
    assert callable(registry.factory(name))
