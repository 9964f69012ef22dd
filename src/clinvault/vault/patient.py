"""One patient's open vault context: its data key, date offset and tokens.

A ``PatientContext`` is the :class:`~clinvault.vault.pseudonymizer.TokenSink` for that
patient: every token it hands out is remembered (encrypted under the patient's data key)
and every tokenized value becomes a known identifier for text scanning and leak checks.
New tokens are buffered and written by ``flush()`` inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clinvault import crypto
from clinvault.errors import VaultError
from clinvault.keys import KeyRing
from clinvault.vault.dates import collapse_ages, shift_fhir_value, shift_text_dates
from clinvault.vault.identifiers import IdentifierMatcher, KnownValue, is_code_like
from clinvault.vault.store import TokenRow, VaultStore
from clinvault.vault.tokens import normalize, resource_token, value_token

LOOKUP_KINDS = frozenset({"MRN", "SSN"})
SOURCE_ID_KIND = "ID"
"""The token kind of a Patient's source id where free text repeats it."""


@dataclass
class PatientContext:
    patient_token: str
    offset_days: int
    sealer: crypto.Sealer
    keys: KeyRing
    store: VaultStore
    resolve_reference: Any = None
    """Optional ``Callable[[str], str | None]`` mapping a raw reference to ``Type/id``."""
    matcher: IdentifierMatcher = field(default_factory=IdentifierMatcher)
    _by_value: dict[str, str] = field(default_factory=dict)
    _values: dict[str, str] = field(default_factory=dict)
    _pending: list[TokenRow] = field(default_factory=list)
    _lookups: list[tuple[str, str]] = field(default_factory=list)

    # -- loading ------------------------------------------------------------------------------

    def load_tokens(self) -> None:
        for row in self.store.tokens_of(self.patient_token):
            value = self.sealer.open(row.value_ct, self._aad(row.token)).decode()
            self._by_value[row.value_hash] = row.token
            self._values[row.token] = value
            if row.kind not in ("DATE",):
                self.matcher.add(row.kind, value)

    def _aad(self, token: str) -> bytes:
        return f"token|{self.patient_token}|{token}".encode()

    def _value_hash(self, kind: str, value: str) -> str:
        return self.keys.blind_index(
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
                self.sealer.seal(value.encode(), self._aad(token)),
            )
        )
        if kind in LOOKUP_KINDS:
            self._lookups.append(
                (self.keys.blind_index(kind, normalize(value)), self.patient_token)
            )
        if kind != "DATE":
            self.matcher.add(kind, value)
        return token

    def _new_token(self, kind: str, value: str) -> str:
        for width in (8, 12, 16):
            token = value_token(self.keys.token, self.patient_token, kind, value, width)
            if (
                token not in self._values
                and self.store.get_token(self.patient_token, token) is None
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
        resolved = self.resolve_reference(reference) if self.resolve_reference else None
        target = resolved or _plain_reference(reference)
        if target is None:
            return resource_token(self.keys.token, reference)
        rtype = target.split("/", 1)[0]
        return f"{rtype}/{resource_token(self.keys.token, target)}"

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
        return resource_token(self.keys.token, f"{resource_type}/{resource_id}")

    # -- reading back -------------------------------------------------------------------------

    def value_of(self, token: str) -> str | None:
        return self._values.get(token)

    def known_values(self) -> list[KnownValue]:
        return list(self.matcher.values)

    def flush(self) -> None:
        if self._pending:
            self.store.put_tokens(self._pending)
            self._pending = []
        if self._lookups:
            self.store.put_lookups(self._lookups)
            self._lookups = []


def _plain_reference(reference: str) -> str | None:
    """``Type/id`` from a relative or absolute literal reference (history suffix removed)."""
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2][:1].isupper() and parts[-2].isalpha():
        return f"{parts[-2]}/{parts[-1]}"
    return None
