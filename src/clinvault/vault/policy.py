"""The declarative pseudonymization policy (``vault/policy.toml``), loaded and checked."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinvault.errors import ConfigError

HANDLERS = frozenset(
    {"human-name", "org-name", "identifier", "telecom", "address", "drop", "birth-date"}
)


@dataclass(frozen=True, slots=True)
class Rule:
    resources: frozenset[str]
    key: tuple[str, ...]
    """Key path relative to any object, e.g. ``("contact", "name")``."""
    handler: str
    kind: str = ""
    only_objects: bool = False

    def applies_to(self, resource_type: str) -> bool:
        return "*" in self.resources or resource_type in self.resources


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    address_tokenize: frozenset[str]
    address_keep: frozenset[str]
    identifier_kinds: dict[str, str]
    telecom_kinds: dict[str, str]
    extensions_drop: frozenset[str]
    extensions_name: frozenset[str]
    extensions_address: frozenset[str]
    attachment_drop: frozenset[str]
    display_keep_types: frozenset[str]
    not_scanned: frozenset[str]
    age_cap: int

    def rules_for(self, resource_type: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.applies_to(resource_type))


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: section [{name}] is missing")
    return value


def load_policy(path: Path) -> Policy:
    if not path.is_file():
        raise ConfigError(f"policy file {path} does not exist (set CLINVAULT_VAULT__POLICY_FILE)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if data.get("version") != 1:
        raise ConfigError(f"{path}: unsupported policy version {data.get('version')!r}")
    rules = []
    for index, raw in enumerate(data.get("rule", [])):
        handler = raw.get("handler")
        if handler not in HANDLERS:
            raise ConfigError(f"{path}: rule[{index}] has unknown handler {handler!r}")
        if not raw.get("key") or not raw.get("resources"):
            raise ConfigError(f"{path}: rule[{index}] needs 'key' and 'resources'")
        rules.append(
            Rule(
                resources=frozenset(raw["resources"]),
                key=tuple(str(raw["key"]).split(".")),
                handler=handler,
                kind=str(raw.get("kind", "")),
                only_objects=bool(raw.get("only_objects", False)),
            )
        )
    address = _section(data, "address", path)
    extensions = _section(data, "extensions", path)
    return Policy(
        rules=tuple(rules),
        address_tokenize=frozenset(address.get("tokenize", [])),
        address_keep=frozenset(address.get("keep", [])),
        identifier_kinds=dict(_section(data, "identifier_kinds", path)),
        telecom_kinds=dict(_section(data, "telecom_kinds", path)),
        extensions_drop=frozenset(extensions.get("drop", [])),
        extensions_name=frozenset(extensions.get("name", [])),
        extensions_address=frozenset(extensions.get("address", [])),
        attachment_drop=frozenset(_section(data, "attachments", path).get("drop", [])),
        display_keep_types=frozenset(
            _section(data, "references", path).get("display_keep_types", [])
        ),
        not_scanned=frozenset(_section(data, "strings", path).get("not_scanned", [])),
        age_cap=int(_section(data, "ages", path).get("cap", 89)),
    )
