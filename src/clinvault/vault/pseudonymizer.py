"""Walks a FHIR resource (JSON) and returns its pseudonymized copy, as the policy says.

The walker never writes to the input. Direct identifiers become typed tokens through the
``TokenSink`` (which also remembers each value as a known identifier of the patient),
dates are shifted, ids and references become opaque ``RES`` tokens, and every other free
string is scanned for known identifiers and written dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from clinvault.vault.policy import Policy, Rule

Json = Any


class TokenSink(Protocol):
    def token(self, kind: str, value: str) -> str:
        """The token for ``value``; the value becomes a known identifier of the patient."""

    def learn(self, kind: str, value: str) -> None:
        """Remember ``value`` as a known identifier without emitting a token for it."""

    def scan(self, text: str) -> str:
        """Free text with known identifiers replaced and written dates shifted."""

    def shift(self, value: str) -> str | None:
        """A shifted FHIR date/dateTime/instant, or ``None`` if ``value`` is not one."""

    def reference(self, reference: str) -> str:
        """An opaque replacement for a resource reference (``Type/RES-…``)."""

    def resource_id(self, resource_type: str, resource_id: str) -> str:
        """The opaque id (``RES-…``) for a resource id."""


def name_forms(name: dict[str, Any]) -> list[str]:
    """The ways a HumanName is written in notes, longest first."""
    given = [g for g in name.get("given") or [] if isinstance(g, str)]
    family = name.get("family") if isinstance(name.get("family"), str) else None
    prefixes = [p for p in name.get("prefix") or [] if isinstance(p, str)]
    forms: list[str] = []
    if isinstance(name.get("text"), str):
        forms.append(name["text"])
    if given and family:
        forms += [
            " ".join([*given, family]),
            f"{given[0]} {family}",
            f"{family}, {given[0]}",
            f"{family} {given[0]}",
        ]
        forms += [f"{p} {family}" for p in prefixes]
        forms += [f"{p} {given[0]} {family}" for p in prefixes]
    return forms


@dataclass
class Pseudonymizer:
    policy: Policy
    sink: TokenSink
    age_over_cap: bool = False
    """True when the patient is older than the policy's cap: the birth date is removed."""

    def pseudonymize(self, resource: dict[str, Any]) -> dict[str, Any]:
        rtype = str(resource.get("resourceType", ""))
        out = self._object(resource, rtype, (), self.policy.rules_for(rtype))
        if isinstance(resource.get("id"), str):
            out["id"] = self.sink.resource_id(rtype, resource["id"])
        return out

    # -- walking ----------------------------------------------------------------------------

    def _rule_for(self, rules: tuple[Rule, ...], path: tuple[str, ...], value: Json) -> Rule | None:
        for rule in rules:
            if rule.only_objects and not isinstance(value, dict):
                continue
            if "*" in rule.resources:
                if path[-len(rule.key) :] == rule.key:
                    return rule
            elif path == rule.key:
                return rule
        return None

    def _value(
        self, value: Json, rtype: str, path: tuple[str, ...], rules: tuple[Rule, ...]
    ) -> Json:
        if isinstance(value, dict):
            if isinstance(value.get("resourceType"), str):  # contained resource
                return self.pseudonymize(value)
            return self._object(value, rtype, path, rules)
        if isinstance(value, list):
            return [self._value(v, rtype, path, rules) for v in value]
        if isinstance(value, str):
            return self._string(value, path[-1] if path else "")
        return value

    def _object(
        self, obj: dict[str, Any], rtype: str, path: tuple[str, ...], rules: tuple[Rule, ...]
    ) -> dict[str, Any]:
        url = obj.get("url")
        if isinstance(url, str) and "extension" in path[-1:]:
            handled = self._extension(obj, url)
            if handled is not None:
                return handled
        is_attachment = "contentType" in obj or ("data" in obj and "url" not in obj)
        is_reference = "reference" in obj or (
            "display" in obj and not {"code", "system"} & set(obj)
        )
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if key == "id" and not path:
                continue  # the resource id is replaced by pseudonymize()
            if is_attachment and key in self.policy.attachment_drop:
                continue
            child = (*path, key)
            rule = self._rule_for(rules, child, value)
            if rule is not None:
                replaced = self._apply(rule, value, child)
                if replaced is not _DROP:
                    out[key] = replaced
                continue
            if is_reference and key == "reference" and isinstance(value, str):
                out[key] = self.sink.reference(value)
            elif is_reference and key == "display" and isinstance(value, str):
                out[key] = self._reference_display(obj, value, path)
            else:
                out[key] = self._value(value, rtype, child, rules)
        return out

    def _string(self, value: str, key: str) -> str:
        shifted = self.sink.shift(value)
        if shifted is not None:
            return shifted
        if key in self.policy.not_scanned:
            return value
        return self.sink.scan(value)

    def _reference_display(self, obj: dict[str, Any], display: str, path: tuple[str, ...]) -> str:
        target = obj.get("reference")
        opaque = self.sink.reference(target) if isinstance(target, str) else ""
        target_type = opaque.split("/")[0] if "/" in opaque else ""
        if target_type in self.policy.display_keep_types or (
            not target_type and path and path[-1] in ("medicationReference", "substance")
        ):
            return self.sink.scan(display)
        return self.sink.token("NAME", display)

    # -- handlers ---------------------------------------------------------------------------

    def _apply(self, rule: Rule, value: Json, path: tuple[str, ...]) -> Json:
        if rule.handler == "drop":
            return _DROP
        if rule.handler == "birth-date":
            if self.age_over_cap or not isinstance(value, str):
                return _DROP
            return self.sink.shift(value) or _DROP
        handler: Callable[[Any], Json] = {
            "human-name": self._human_name,
            "org-name": lambda v: self._org_name(v, rule.kind or "ORG"),
            "identifier": self._identifier,
            "telecom": self._telecom,
            "address": self._address,
        }[rule.handler]
        if isinstance(value, list):
            return [handler(v) for v in value]
        return handler(value)

    def _human_name(self, name: Json) -> Json:
        if not isinstance(name, dict):
            return self.sink.token("NAME", name) if isinstance(name, str) else name
        for form in name_forms(name):
            self.sink.learn("NAME", form)
        out = dict(name)
        for key in ("text", "family"):
            if isinstance(name.get(key), str):
                out[key] = self.sink.token("NAME", name[key])
        for key in ("given", "prefix", "suffix"):
            if isinstance(name.get(key), list):
                parts = [p for p in name[key] if isinstance(p, str)]
                # titles such as "Mr." are not identifying; still learned in name forms
                out[key] = (
                    parts
                    if key in ("prefix", "suffix")
                    else [self.sink.token("NAME", p) for p in parts]
                )
        if "period" in name:
            out["period"] = self._value(name["period"], "", ("period",), ())
        return out

    def _org_name(self, value: Json, kind: str) -> Json:
        return self.sink.token(kind, value) if isinstance(value, str) else value

    def _identifier(self, ident: Json) -> Json:
        if not isinstance(ident, dict):
            return ident
        kind = self._identifier_kind(ident)
        out: dict[str, Any] = {}
        for key, value in ident.items():
            if key == "value" and isinstance(value, str):
                out[key] = self.sink.token(kind, value)
            elif key == "assigner":
                out[key] = (
                    {"display": self.sink.token("ORG", value["display"])}
                    if isinstance(value, dict) and isinstance(value.get("display"), str)
                    else {}
                )
            elif key == "period":
                out[key] = self._value(value, "", (key,), ())
            elif key in ("use", "system", "type"):
                out[key] = value
        return out

    def _identifier_kind(self, ident: dict[str, Any]) -> str:
        kinds = self.policy.identifier_kinds
        system = ident.get("system")
        if isinstance(system, str) and system in kinds:
            return kinds[system]
        for coding in (ident.get("type") or {}).get("coding") or []:
            code = coding.get("code") if isinstance(coding, dict) else None
            if isinstance(code, str) and code in kinds:
                return kinds[code]
        return "ID"

    def _telecom(self, point: Json) -> Json:
        if not isinstance(point, dict):
            return point
        kind = self.policy.telecom_kinds.get(str(point.get("system", "other")), "ID")
        out = {k: v for k, v in point.items() if k in ("system", "use", "rank")}
        if isinstance(point.get("value"), str):
            out["value"] = self.sink.token(kind, point["value"])
        return out

    def _address(self, address: Json) -> Json:
        if not isinstance(address, dict):
            return address
        out: dict[str, Any] = {}
        for key, value in address.items():
            if key in self.policy.address_tokenize:
                if isinstance(value, list):
                    out[key] = [self.sink.token("ADDR", v) for v in value if isinstance(v, str)]
                elif isinstance(value, str):
                    out[key] = self.sink.token("ADDR", value)
            elif key in self.policy.address_keep:
                out[key] = self._value(value, "", (key,), ())
            # anything else (extensions such as geolocation) is dropped: fail closed
        return out

    def _extension(self, ext: dict[str, Any], url: str) -> dict[str, Any] | None:
        if url in self.policy.extensions_drop:
            return {"url": url}
        if url in self.policy.extensions_name and isinstance(ext.get("valueString"), str):
            return {"url": url, "valueString": self.sink.token("NAME", ext["valueString"])}
        if url in self.policy.extensions_address and isinstance(ext.get("valueAddress"), dict):
            return {"url": url, "valueAddress": self._address(ext["valueAddress"])}
        return None


_DROP: Any = object()
