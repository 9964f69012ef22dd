"""The vault's small, safe API: pseudonymize on the way in, re-identify on the way out.

Envelope encryption: each patient has a random data key (DEK) wrapped by the deployment
KEK; every original resource, token value and date offset is sealed under the DEK with
associated data binding it to its patient and record. Erasing a patient destroys the
wrapped DEK, so nothing of the patient can be decrypted again.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any

from clinvault import crypto
from clinvault.clock import Clock, RandomBytes, SystemClock, system_random
from clinvault.errors import VaultError
from clinvault.keys import KeyRing
from clinvault.settings import Settings
from clinvault.vault.dates import shift_text_dates
from clinvault.vault.patient import PatientContext
from clinvault.vault.policy import Policy, load_policy
from clinvault.vault.pseudonymizer import Pseudonymizer
from clinvault.vault.store import VAULT_STORES, PatientRow, QuarantineRow, ResourceRow, VaultStore
from clinvault.vault.tokens import (
    RESOURCE_TOKEN_RE,
    find_value_tokens,
    normalize,
    patient_token,
    resource_token,
)

SHARED_SCOPE = "shared"
"""Vault scope of resources that belong to no patient (Practitioner, Organization...)."""


@dataclass
class Vault:
    store: VaultStore
    keys: KeyRing
    policy: Policy
    clock: Clock
    random: RandomBytes
    shift_min_days: int = 30
    shift_max_days: int = 365

    @classmethod
    def open(
        cls, settings: Settings, *, clock: Clock | None = None, random: RandomBytes | None = None
    ) -> Vault:
        rnd = random or system_random()
        store = VAULT_STORES.create(settings.vault.backend, settings.vault_url)
        return cls(
            store=store,
            keys=KeyRing.load(settings, rnd),
            policy=load_policy(settings.vault.policy_file),
            clock=clock or SystemClock(),
            random=rnd,
            shift_min_days=settings.vault.date_shift_min_days,
            shift_max_days=settings.vault.date_shift_max_days,
        )

    def close(self) -> None:
        self.store.close()

    # -- names --------------------------------------------------------------------------------

    def patient_token(self, source_ref: str) -> str:
        return patient_token(self.keys.token, _patient_ref(source_ref))

    def resource_token(self, source_ref: str) -> str:
        return resource_token(self.keys.token, source_ref)

    def record_id(self, source_ref: str) -> str:
        return self.keys.blind_index("resource", source_ref)

    def content_hash(self, resource: dict[str, Any]) -> str:
        canonical = json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return self.keys.blind_index("content", canonical)

    # -- patients -----------------------------------------------------------------------------

    def _sealer(self, key: bytes) -> crypto.Sealer:
        return crypto.Sealer(key, self.random)

    def _new_offset(self) -> int:
        span = self.shift_max_days - self.shift_min_days + 1
        value: int = struct.unpack(">I", self.random(4))[0]
        days = self.shift_min_days + value % span
        return -days if value & 1 << 31 else days

    def context(self, source_ref: str, *, create: bool = True) -> PatientContext:
        """The vault context of a patient (``Patient/<id>``, or ``SHARED_SCOPE``)."""
        ref = _patient_ref(source_ref)
        return self._context(self.patient_token(ref), ref if create else None)

    def context_for_token(self, token: str) -> PatientContext:
        return self._context(token, None)

    def _context(self, token: str, create_ref: str | None) -> PatientContext:
        row = self.store.get_patient(token)
        if row is None:
            if create_ref is None:
                raise VaultError("unknown patient")
            dek = crypto.new_key(self.random)
            offset = self._new_offset()
            row = PatientRow(
                patient_token=token,
                source_hash=self.keys.blind_index("patient", create_ref),
                wrapped_dek=self._sealer(self.keys.kek).seal(dek, f"dek|{token}".encode()),
                offset_ct=self._sealer(dek).seal(str(offset).encode(), f"offset|{token}".encode()),
                created_at=self.clock.now(),
            )
            self.store.put_patient(row)
            self.store.put_lookups([(row.source_hash, token)])
        dek = self._sealer(self.keys.kek).open(row.wrapped_dek, f"dek|{token}".encode())
        sealer = self._sealer(dek)
        offset = int(sealer.open(row.offset_ct, f"offset|{token}".encode()))
        ctx = PatientContext(token, offset, sealer, self.keys, self.store)
        ctx.load_tokens()
        return ctx

    def pseudonymizer(self, ctx: PatientContext, *, age_over_cap: bool = False) -> Pseudonymizer:
        return Pseudonymizer(self.policy, ctx, age_over_cap=age_over_cap)

    def pseudonymize(
        self, ctx: PatientContext, resource: dict[str, Any], *, age_over_cap: bool = False
    ) -> dict[str, Any]:
        return self.pseudonymizer(ctx, age_over_cap=age_over_cap).pseudonymize(resource)

    def find_patient(self, kind: str, value: str) -> list[str]:
        """Patient tokens for an identifier (``MRN``, ``SSN``) or a source ``patient`` ref."""
        if kind == "patient":
            return self.store.find_patients(self.keys.blind_index("patient", _patient_ref(value)))
        return self.store.find_patients(self.keys.blind_index(kind, normalize(value)))

    def erase(self, patient_token: str) -> int:
        with self.store.transaction():
            return self.store.erase_patient(patient_token)

    # -- resources ----------------------------------------------------------------------------

    def seal_resource(
        self,
        ctx: PatientContext,
        source_ref: str,
        resource: dict[str, Any],
        chunk_ids: tuple[str, ...],
    ) -> ResourceRow:
        record_id = self.record_id(source_ref)
        raw = json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode()
        return ResourceRow(
            record_id=record_id,
            patient_token=ctx.patient_token,
            resource_type=source_ref.split("/", 1)[0],
            resource_token=self.resource_token(source_ref),
            content_hash=self.content_hash(resource),
            resource_ct=ctx.sealer.seal(raw, f"resource|{ctx.patient_token}|{record_id}".encode()),
            chunk_ids=chunk_ids,
            updated_at=self.clock.now(),
        )

    def open_resource(self, ctx: PatientContext, row: ResourceRow) -> dict[str, Any]:
        if row.patient_token != ctx.patient_token:
            raise VaultError()
        raw = ctx.sealer.open(
            row.resource_ct, f"resource|{ctx.patient_token}|{row.record_id}".encode()
        )
        data: dict[str, Any] = json.loads(raw)
        return data

    def source_reference(self, resource_tok: str) -> tuple[str, str] | None:
        """(patient token, ``Type/id``) of a resource token, or ``None`` if unknown."""
        row = self.store.resource_by_token(resource_tok.upper())
        if row is None:
            return None
        ctx = self.context_for_token(row.patient_token)
        resource = self.open_resource(ctx, row)
        return row.patient_token, f"{resource.get('resourceType')}/{resource.get('id')}"

    # -- quarantine ---------------------------------------------------------------------------

    def quarantine(self, where: str, resource_type: str, message: str, resource: Any) -> None:
        key = crypto.derive_key(self.keys.kek, "clinvault/quarantine/v1")
        sealer = self._sealer(key)
        stamp = self.clock.now()
        aad = b"quarantine"
        self.store.add_quarantine(
            QuarantineRow(
                id=None,
                created_at=stamp,
                resource_type=resource_type[:64],
                message=message.replace(where, "<where>"),  # the place is stored sealed
                where_ct=sealer.seal(where.encode(), aad + b"|where"),
                resource_ct=sealer.seal(json.dumps(resource).encode(), aad + b"|resource"),
            )
        )

    def quarantined(self) -> list[dict[str, Any]]:
        key = crypto.derive_key(self.keys.kek, "clinvault/quarantine/v1")
        sealer = self._sealer(key)
        out = []
        for row in self.store.quarantined():
            aad = b"quarantine"
            out.append(
                {
                    "id": row.id,
                    "created_at": row.created_at.isoformat(),
                    "resource_type": row.resource_type,
                    "message": row.message,
                    "where": sealer.open(row.where_ct, aad + b"|where").decode(),
                }
            )
        return out

    # -- free text and re-identification ------------------------------------------------------

    def tokenize(self, patient_tok: str, kind: str, value: str) -> str:
        ctx = self.context_for_token(patient_tok)
        with self.store.transaction():
            token = ctx.token(kind, value)
            ctx.flush()
        return token

    def shift_date_text(self, patient_tok: str, text: str) -> str | None:
        ctx = self.context_for_token(patient_tok)
        shifted = shift_text_dates(text, ctx.offset_days)
        return shifted if shifted != text else ctx.shift(text)

    def reidentify(self, patient_tok: str, text: str, *, resolve_resources: bool = True) -> str:
        """Tokens -> real values, shifted dates -> real dates, ``RES`` tokens -> ``Type/id``.

        Tokens are matched leniently (case, brackets); a token that does not resolve for
        this patient is left as it is, never guessed.
        """
        ctx = self.context_for_token(patient_tok)
        text = shift_text_dates(text, -ctx.offset_days)
        out: list[str] = []
        cursor = 0
        for match in find_value_tokens(text):
            value = ctx.value_of(match.canonical)
            if value is None:
                continue
            out.append(text[cursor : match.start])
            out.append(value)
            cursor = match.end
        out.append(text[cursor:])
        text = "".join(out)
        if resolve_resources:
            text = RESOURCE_TOKEN_RE.sub(
                lambda m: self._resource_ref(patient_tok, m.group(0)), text
            )
            text = re.sub(r"\b([A-Z][A-Za-z]+)/(?=[A-Z][A-Za-z]+/)", "", text)
        return text

    def _resource_ref(self, patient_tok: str, token: str) -> str:
        found = self.source_reference(token)
        if found is None or found[0] != patient_tok:
            return token
        return found[1]

    def source_patient(self, patient_tok: str) -> str | None:
        """``Patient/<id>`` of a patient token, from its sealed Patient resource."""
        ctx = self.context_for_token(patient_tok)
        for row in self.store.resources_of(patient_tok):
            if row.resource_type == "Patient":
                resource = self.open_resource(ctx, row)
                return f"Patient/{resource.get('id')}"
        return None


def _patient_ref(source_ref: str) -> str:
    if source_ref == SHARED_SCOPE or source_ref.startswith("Patient/"):
        return source_ref
    return f"Patient/{source_ref}"
