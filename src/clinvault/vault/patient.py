"""One patient's open vault context: its data key, date offset and tokens.

A ``PatientContext`` is the :class:`~clinvault.vault.pseudonymizer.TokenSink` for that
patient: every token it hands out is remembered (encrypted under the patient's data key)
and every tokenized value becomes a known identifier for text scanning and leak checks.
New tokens and sealed resources are buffered and written by ``flush()`` inside the caller's
transaction (:meth:`clinvault.vault.Vault.transaction`).

It is the vault's per-patient session (:class:`clinvault.vault.client.PatientSession`):
plain data goes in and out; its data key, the key ring and the store stay private.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clinvault import crypto
from clinvault.clock import Clock
from clinvault.errors import VaultError
from clinvault.keys import KeyRing
from clinvault.vault.dates import age_text, collapse_ages, shift_fhir_value, shift_text_dates
from clinvault.vault.identifiers import IdentifierMatcher, KnownValue, is_code_like
from clinvault.vault.policy import Policy
from clinvault.vault.pseudonymizer import Pseudonymizer
from clinvault.vault.store import ResourceRow, TokenRow, VaultStore
from clinvault.vault.tokens import normalize, resource_token, value_token

LOOKUP_KINDS = frozenset({"MRN", "SSN"})
SOURCE_ID_KIND = "ID"
"""The token kind of a Patient's source id where free text repeats it."""


@dataclass
class PatientContext:
    patient_token: str
    offset_days: int
    _sealer: crypto.Sealer
    _keys: KeyRing
    _store: VaultStore
    _policy: Policy
    _clock: Clock
    references: Mapping[str, str] = field(default_factory=dict)
    """Raw references (as the resources write them) resolved to ``Type/id``; others are
    read literally."""
    matcher: IdentifierMatcher = field(default_factory=IdentifierMatcher)
    _by_value: dict[str, str] = field(default_factory=dict)
    _values: dict[str, str] = field(default_factory=dict)
    _pending: list[TokenRow] = field(default_factory=list)
    _lookups: list[tuple[str, str]] = field(default_factory=list)
    _resources: list[ResourceRow] = field(default_factory=list)

    # -- loading ------------------------------------------------------------------------------

    def load_tokens(self) -> None:
        for row in self._store.tokens_of(self.patient_token):
            value = self._sealer.open(row.value_ct, self._aad(row.token)).decode()
            self._by_value[row.value_hash] = row.token
            self._values[row.token] = value
            if row.kind not in ("DATE",):
                self.matcher.add(row.kind, value)

    def _aad(self, token: str) -> bytes:
        return f"token|{self.patient_token}|{token}".encode()

    def _value_hash(self, kind: str, value: str) -> str:
        return self._keys.blind_index(
            "token-value", f"{self.patient_token}\x1f{kind}\x1f{normalize(value)}"
        )

    # -- TokenSink ----------------------------------------------------------------------------

    def token(self, kind: str, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        vhash = self._value_hash(kind, value)
        existing = self._by_value.get(vhash)
        if existing is not None:
            return existing
        token = self._new_token(kind, value)
        self._by_value[vhash] = token
        self._values[token] = value
        self._pending.append(
            TokenRow(
                self.patient_token,
                token,
                vhash,
                kind,
                self._sealer.seal(value.encode(), self._aad(token)),
            )
        )
        if kind in LOOKUP_KINDS:
            self._lookups.append(
                (self._keys.blind_index(kind, normalize(value)), self.patient_token)
            )
        if kind != "DATE":
            self.matcher.add(kind, value)
        return token

    def _new_token(self, kind: str, value: str) -> str:
        for width in (8, 12, 16):
            token = value_token(self._keys.token, self.patient_token, kind, value, width)
            if (
                token not in self._values
                and self._store.get_token(self.patient_token, token) is None
            ):
                return token
        raise VaultError("token space exhausted")

    def learn(self, kind: str, value: str) -> None:
        if value.strip():
            self.token(kind, value)

    def scan(self, text: str) -> str:
        return collapse_ages(shift_text_dates(self.replace_known(text), self.offset_days))

    def replace_known(self, text: str) -> str:
        """Known identifiers -> tokens, nothing else (safe to apply to pseudonymized text)."""
        return self.matcher.replace(text, lambda known: self.token(known.kind, known.value))

    def shift(self, value: str) -> str | None:
        return shift_fhir_value(value, self.offset_days)

    def reference(self, reference: str) -> str:
        if reference.startswith("#"):
            return reference
        resolved = self.references.get(reference)
        target = resolved or _plain_reference(reference)
        if target is None:
            return resource_token(self._keys.token, reference)
        rtype = target.split("/", 1)[0]
        return f"{rtype}/{resource_token(self._keys.token, target)}"

    def resource_id(self, resource_type: str, resource_id: str) -> str:
        """The opaque id (``RES-…``) for a resource id.

        A Patient's source id that reads as a code (``f201``, ``pat1``, a uuid) also becomes
        a known identifier of this context, whatever its length: narratives, notes and code
        texts repeat it ("patient f201", ``DiagnosticReport/f201``) and it is replaced there
        by its ``[ID-…]`` token, as a whole word or a ``/``, ``-`` or ``.`` separated part,
        never inside another word. An id that is a word (``example``) or a short number is
        not learned: it cannot be told from the same word or value in a note, and there it
        identifies no one. The token is stored, so the id stays known on later runs.
        """
        if resource_type == "Patient" and is_code_like(resource_id):
            self.learn(SOURCE_ID_KIND, resource_id)
        return resource_token(self._keys.token, f"{resource_type}/{resource_id}")

    # -- resources ----------------------------------------------------------------------------

    def pseudonymize(
        self, resource: Mapping[str, Any], *, age_over_cap: bool = False
    ) -> dict[str, Any]:
        """The resource with identifiers tokenized, dates shifted and ids made opaque; every
        identifier in it becomes known to this patient."""
        pseudonymizer = Pseudonymizer(self._policy, self, age_over_cap=age_over_cap)
        return pseudonymizer.pseudonymize(dict(resource))

    def age(self, patient: Mapping[str, Any] | None) -> str | None:
        """The patient's age as the index may show it (``90+`` over the policy's cap)."""
        if not patient:
            return None
        return age_text(
            patient.get("birthDate"),
            self._clock.now().date(),
            self._policy.age_cap,
            patient.get("deceasedDateTime"),
        )

    def record_id(self, source_ref: str) -> str:
        return self._keys.blind_index("resource", source_ref)

    def seal(
        self, source_ref: str, resource: Mapping[str, Any], chunk_ids: tuple[str, ...] = ()
    ) -> None:
        """Seal the original resource under the patient's data key (written by ``flush``),
        with the ids of its indexed chunks."""
        self._resources.append(self.sealed_row(source_ref, resource, chunk_ids))

    def sealed_row(
        self, source_ref: str, resource: Mapping[str, Any], chunk_ids: tuple[str, ...]
    ) -> ResourceRow:
        record_id = self.record_id(source_ref)
        raw = json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode()
        return ResourceRow(
            record_id=record_id,
            patient_token=self.patient_token,
            resource_type=source_ref.split("/", 1)[0],
            resource_token=resource_token(self._keys.token, source_ref),
            content_hash=content_hash(self._keys, resource),
            resource_ct=self._sealer.seal(raw, self._resource_aad(record_id)),
            chunk_ids=chunk_ids,
            updated_at=self._clock.now(),
        )

    def open_row(self, row: ResourceRow) -> dict[str, Any]:
        """The original resource of one of this patient's sealed rows."""
        if row.patient_token != self.patient_token:
            raise VaultError()
        raw = self._sealer.open(row.resource_ct, self._resource_aad(row.record_id))
        data: dict[str, Any] = json.loads(raw)
        return data

    def _resource_aad(self, record_id: str) -> bytes:
        return f"resource|{self.patient_token}|{record_id}".encode()

    # -- reading back -------------------------------------------------------------------------

    def value_of(self, token: str) -> str | None:
        return self._values.get(token)

    def known_values(self) -> list[KnownValue]:
        return list(self.matcher.values)

    def flush(self) -> None:
        """Write the new tokens, look-ups and sealed resources (inside a vault transaction)."""
        if self._resources:
            self._store.put_resources(self._resources)
            self._resources = []
        if self._pending:
            self._store.put_tokens(self._pending)
            self._pending = []
        if self._lookups:
            self._store.put_lookups(self._lookups)
            self._lookups = []


def content_hash(keys: KeyRing, resource: Mapping[str, Any]) -> str:
    """Keyed hash of a resource's canonical JSON: the unchanged check compares it."""
    canonical = json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return keys.blind_index("content", canonical)


def _plain_reference(reference: str) -> str | None:
    """``Type/id`` from a relative or absolute literal reference (history suffix removed)."""
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2][:1].isupper() and parts[-2].isalpha():
        return f"{parts[-2]}/{parts[-1]}"
    return None
