"""The vault's small, safe API: pseudonymize on the way in, re-identify on the way out.

Envelope encryption: each patient has a random data key (DEK) wrapped by the deployment
KEK; every original resource, token value and date offset is sealed under the DEK with
associated data binding it to its patient and record. Erasing a patient destroys the
wrapped DEK, so nothing of the patient can be decrypted again.

``Vault`` is the in-process :class:`~clinvault.vault.client.VaultClient`: its store, key
ring, policy and clock are private; callers get plain data back.
"""

from __future__ import annotations

import json
import re
import struct
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from clinvault import crypto
from clinvault.clock import Clock, RandomBytes, SystemClock, system_random
from clinvault.errors import PatientErased, VaultError
from clinvault.keys import KeyRing
from clinvault.settings import Settings
from clinvault.vault.client import Revealed, RevealRequest, SourceRecord, Stored
from clinvault.vault.dates import shift_text_dates
from clinvault.vault.identifiers import KnownValue
from clinvault.vault.keks import KekRing, KekStatus, Rotation
from clinvault.vault.patient import PatientContext, content_hash
from clinvault.vault.policy import Policy, load_policy
from clinvault.vault.store import VAULT_STORES, PatientRow, QuarantineRow, VaultStore
from clinvault.vault.tokens import (
    RESOURCE_TOKEN_RE,
    find_value_tokens,
    normalize,
    patient_token,
    resource_token,
)

SHARED_SCOPE = "shared"
"""Vault scope of resources that belong to no patient (Practitioner, Organization...)."""

QUARANTINE_KEY_INFO = "clinvault/quarantine/v1"

MAX_MERGE_CHAIN = 16
"""How many successive merges (A into B, B into C …) a patient token lookup follows."""


class Vault:
    """The in-process vault (see :class:`~clinvault.vault.client.VaultClient`)."""

    def __init__(
        self,
        *,
        store: VaultStore,
        keys: KeyRing,
        policy: Policy,
        clock: Clock,
        random: RandomBytes,
        shift_min_days: int = 30,
        shift_max_days: int = 365,
    ) -> None:
        self._store = store
        self._keys = keys
        self._policy = policy
        self._clock = clock
        self._random = random
        self._shift_min_days = shift_min_days
        self._shift_max_days = shift_max_days
        self._keks = KekRing(store, keys, random, clock)
        self.allow_reingest = False
        """Let ingest bring back a patient that was erased (``clinvault ingest --allow-reingest``)."""
        self.reingested: list[str] = []
        """Tokens of erased patients this vault re-created (the caller audits them)."""

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        keys: KeyRing | None = None,
        clock: Clock | None = None,
        random: RandomBytes | None = None,
    ) -> Vault:
        """The vault the settings name; ``keys`` shares a key ring the caller loaded."""
        rnd = random or system_random()
        store = VAULT_STORES.create(settings.vault.backend, settings.vault_url)
        return cls(
            store=store,
            keys=keys or KeyRing.load(settings, rnd),
            policy=load_policy(settings.vault.policy_file),
            clock=clock or SystemClock(),
            random=rnd,
            shift_min_days=settings.vault.date_shift_min_days,
            shift_max_days=settings.vault.date_shift_max_days,
        )

    def close(self) -> None:
        self._store.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._store.transaction():
            yield

    def counts(self) -> dict[str, int]:
        return self._store.counts()

    # -- names --------------------------------------------------------------------------------

    def patient_token(self, source_ref: str) -> str:
        """``PT-…`` of a patient; a patient merged into another resolves to the survivor."""
        return self._resolve_merged(patient_token(self._keys.token, _patient_ref(source_ref)))

    def _resolve_merged(self, token: str) -> str:
        for _ in range(MAX_MERGE_CHAIN):
            survivor = self._store.find_patients(self._keys.blind_index("merged", token))
            if not survivor:
                return token
            token = survivor[0]
        raise VaultError("patient merges form a chain too long to follow")

    def resource_token(self, source_ref: str) -> str:
        return resource_token(self._keys.token, source_ref)

    def chunk_id(self, resource_token: str, part: str) -> str:
        """Opaque, stable point id: a keyed hash of (resource, part) shaped as a UUID."""
        digest = self._keys.blind_index("chunk", f"{resource_token}\x1f{part}")
        return str(uuid.UUID(hex=digest[:32]))

    def _record_id(self, source_ref: str) -> str:
        return self._keys.blind_index("resource", source_ref)

    # -- patients -----------------------------------------------------------------------------

    def _sealer(self, key: bytes) -> crypto.Sealer:
        return crypto.Sealer(key, self._random)

    def _new_offset(self) -> int:
        span = self._shift_max_days - self._shift_min_days + 1
        value: int = struct.unpack(">I", self._random(4))[0]
        days = self._shift_min_days + value % span
        return -days if value & 1 << 31 else days

    def context(self, source_ref: str, *, create: bool = True) -> PatientContext:
        """The vault context of a patient (``Patient/<id>``, or ``SHARED_SCOPE``).

        In-process only, not part of :class:`~clinvault.vault.client.VaultClient`: callers
        outside the vault use ``patient_session`` (ingest) or the client's plain-data calls.
        """
        ref = _patient_ref(source_ref)
        return self._context(self.patient_token(ref), ref if create else None)

    def context_for_token(self, token: str) -> PatientContext:
        """The context of a known patient token (in-process only, like :meth:`context`)."""
        return self._context(token, None)

    def patient_session(
        self, scope: str, *, references: Mapping[str, str] | None = None
    ) -> PatientContext:
        ctx = self.context(scope)
        ctx.references = dict(references or {})
        return ctx

    def _sealed(self, token: str) -> PatientContext:
        """A known patient's context for its data key and offset only (tokens not loaded):
        enough to open sealed rows or shift dates."""
        return self._context(token, None, tokens=False)

    def _context(
        self, token: str, create_ref: str | None, *, tokens: bool = True
    ) -> PatientContext:
        row = self._store.get_patient(token)
        if row is None:
            if create_ref is None:
                if self._store.is_erased(token):
                    raise PatientErased()
                raise VaultError("unknown patient")
            if self._store.is_erased(token):
                if not self.allow_reingest:
                    raise PatientErased()
                self._store.remove_erasure(token)
                self.reingested.append(token)
            dek = crypto.new_key(self._random)
            offset = self._new_offset()
            version, wrapped = self._keks.wrap(token, dek)
            row = PatientRow(
                patient_token=token,
                source_hash=self._keys.blind_index("patient", create_ref),
                wrapped_dek=wrapped,
                offset_ct=self._sealer(dek).seal(str(offset).encode(), f"offset|{token}".encode()),
                created_at=self._clock.now(),
                kek_version=version,
            )
            self._store.put_patient(row)
            self._store.put_lookups([(row.source_hash, token)])
        dek = self._keks.unwrap(row)
        sealer = self._sealer(dek)
        offset = int(sealer.open(row.offset_ct, f"offset|{token}".encode()))
        ctx = PatientContext(
            token, offset, sealer, self._keys, self._store, self._policy, self._clock
        )
        if tokens:
            ctx.load_tokens()
        return ctx

    def has_patient(self, patient_token: str) -> bool:
        return self._store.get_patient(patient_token) is not None

    def patient_tokens(self) -> list[str]:
        return [row.patient_token for row in self._store.patients()]

    def find_patient(self, kind: str, value: str) -> list[str]:
        """Patient tokens for an identifier (``MRN``, ``SSN``) or a source ``patient`` ref."""
        if kind == "patient":
            ref = _patient_ref(value)
            found = self._store.find_patients(self._keys.blind_index("patient", ref))
            survivor = self.patient_token(ref)  # a merged patient: the survivor
            if not found and survivor != patient_token(self._keys.token, ref):
                return [survivor] if self.has_patient(survivor) else []
            return found
        return self._store.find_patients(self._keys.blind_index(kind, normalize(value)))

    def patient_of(self, source_ref: str) -> str | None:
        row = self._store.get_resource(self._record_id(source_ref))
        return None if row is None else self.source_patient(row.patient_token)

    def patient_resources(self, patient_token: str) -> list[dict[str, Any]]:
        ctx = self._sealed(patient_token)
        return [ctx.open_row(row) for row in self._store.resources_of(patient_token)]

    def known_values(self, patient_token: str) -> list[KnownValue]:
        return self.context_for_token(patient_token).known_values()

    def consent_resources(self, patient_token: str) -> list[dict[str, Any]]:
        """The patient's sealed Consent resources (only those rows are opened)."""
        rows = [r for r in self._store.resources_of(patient_token) if r.resource_type == "Consent"]
        if not rows:
            return []
        ctx = self._sealed(patient_token)
        return [ctx.open_row(row) for row in rows]

    def is_erased(self, patient_token: str) -> bool:
        return self._store.is_erased(patient_token)

    def merge_patients(self, survivor_ref: str, merged_ref: str) -> list[dict[str, Any]]:
        """The merged patient (HL7 A40/A34, FHIR ``Patient.link`` replaced-by) becomes the
        survivor: the merged id resolves to the survivor's token from now on (``patient_token``,
        ``find_patient("patient", …)``), and the merged patient's own record (data key and
        rows) is removed, its original resources returned for the caller to file under the
        survivor in the same transaction (without it they would be lost). Nothing is
        remembered as erased. A merge already made returns ``[]``."""
        survivor = self.patient_token(survivor_ref)
        merged = self.patient_token(merged_ref)
        if survivor == merged:
            return []
        if not self.has_patient(survivor):
            raise VaultError("the surviving patient is not in the vault")
        if merged == self.patient_token(SHARED_SCOPE):
            raise VaultError("the shared scope is not a patient and cannot be merged")
        moved: list[dict[str, Any]] = []
        # patients merged into ``merged`` earlier: their links pointed at its token, which
        # the removal below deletes with its other look-ups, so they are re-pointed
        earlier = self._store.find_patients(self._keys.blind_index("merged-into", merged))
        with self._store.transaction():
            if self.has_patient(merged):
                moved = self.patient_resources(merged)
                self._store.erase_patient(merged)
            links: list[tuple[str, str]] = []
            for gone in dict.fromkeys([merged, *earlier]):
                links.append((self._keys.blind_index("merged", gone), survivor))
                links.append((self._keys.blind_index("merged-into", survivor), gone))
            self._store.put_lookups(links)
        return moved

    def erase(self, patient_token: str) -> int:
        """Crypto-shred the patient: its wrapped data key and every row of it go (the erasure
        is remembered by token, so re-ingest is refused); then the freed pages are reclaimed."""
        if patient_token == self.patient_token(SHARED_SCOPE):
            raise VaultError("the shared scope is not a patient and cannot be erased")
        with self._store.transaction():
            deleted = self._store.erase_patient(patient_token)
            deleted += self._store.delete_quarantine(patient_token=patient_token)
            self._store.add_erasure(patient_token, self._clock.now())
            # ids merged into this patient (merge_patients) would resolve to their own tokens
            # once the links go with the rows: they are erased too, so re-ingest stays refused
            merged_in = self._keys.blind_index("merged-into", patient_token)
            for merged in self._store.find_patients(merged_in):
                self._store.add_erasure(merged, self._clock.now())
        self._store.compact()
        return deleted

    def purge_quarantine(self, before: datetime) -> int:
        """Retention: delete the quarantined inputs written before ``before``; the freed pages
        are reclaimed. Returns rows deleted."""
        with self._store.transaction():
            deleted = self._store.delete_quarantine(before=before)
        if deleted:
            self._store.compact()
        return deleted

    # -- key-encryption keys ------------------------------------------------------------------

    def kek_status(self) -> list[KekStatus]:
        return self._keks.status()

    def rotate_kek(
        self, *, batch: int = 200, progress: Callable[[int, int], None] | None = None
    ) -> Rotation:
        return self._keks.rotate(batch=batch, progress=progress)

    # -- resources ----------------------------------------------------------------------------

    def stored(self, resources: Mapping[str, Mapping[str, Any]]) -> dict[str, Stored]:
        ids = {key: self._record_id(key) for key in resources}
        rows = self._store.get_resources(list(ids.values()))
        out: dict[str, Stored] = {}
        for key, resource in resources.items():
            row = rows.get(ids[key])
            if row is None:
                out[key] = Stored.NEW
            elif row.content_hash == content_hash(self._keys, resource):
                out[key] = Stored.UNCHANGED
            else:
                out[key] = Stored.CHANGED
        return out

    def source_record(self, resource_tok: str) -> SourceRecord | None:
        row = self._store.resource_by_token(resource_tok.upper())
        if row is None:
            return None
        resource = self._sealed(row.patient_token).open_row(row)
        reference = f"{resource.get('resourceType')}/{resource.get('id')}"
        return SourceRecord(row.patient_token, row.resource_type, reference, resource)

    def source_reference(self, resource_tok: str) -> tuple[str, str] | None:
        """(patient token, ``Type/id``) of a resource token, or ``None`` if unknown."""
        record = self.source_record(resource_tok)
        return None if record is None else (record.patient_token, record.reference)

    def pseudonymize_resource(
        self, patient_token: str, resource: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self.context_for_token(patient_token).pseudonymize(resource)

    def pseudonymized_record(self, resource_tok: str) -> SourceRecord | None:
        record = self.source_record(resource_tok)
        if record is None:
            return None
        shown = self.pseudonymize_resource(record.patient_token, record.resource)
        return SourceRecord(record.patient_token, record.resource_type, resource_tok.upper(), shown)

    def reveal_record(self, resource_tok: str, *, request: RevealRequest) -> SourceRecord | None:
        """In process the caller authorized ``request`` already (and audited it)."""
        return self.source_record(resource_tok)

    # -- quarantine ---------------------------------------------------------------------------

    def quarantine(self, where: str, resource_type: str, message: str, resource: Any) -> None:
        """Keep a rejected input sealed: its place, message and content are each bound (AAD)
        to the row's own id and the patient the input names where known, so a ciphertext
        moved to another row, or a row re-attributed to another patient, no longer opens."""
        patient = _named_patient(resource)
        patient_tok = None if patient is None else self.patient_token(patient)
        sealer = self._quarantine_sealer()
        row = QuarantineRow(
            id=None,
            created_at=self._clock.now(),
            resource_type=resource_type[:64],
            message_ct=b"",
            where_ct=b"",
            resource_ct=b"",
            patient_token=patient_tok,
        )
        with self._store.transaction():
            row_id = self._store.add_quarantine(row)
            aad = _quarantine_aad(row_id, patient_tok)
            self._store.seal_quarantine(
                row_id,
                # the place is returned on its own; the message does not repeat it
                message_ct=sealer.seal(
                    message.replace(where, "<where>").encode(), aad + b"|message"
                ),
                where_ct=sealer.seal(where.encode(), aad + b"|where"),
                resource_ct=sealer.seal(json.dumps(resource).encode(), aad + b"|resource"),
            )

    def quarantined(self) -> list[dict[str, Any]]:
        sealer = self._quarantine_sealer()
        out = []
        for row in self._store.quarantined():
            if row.message_ct is None:  # written before rows were bound to their id
                aad, message = b"quarantine", row.message
            elif row.id is None:
                raise VaultError("a stored quarantine row has no id")
            else:
                aad = _quarantine_aad(row.id, row.patient_token)
                message = sealer.open(row.message_ct, aad + b"|message").decode()
            out.append(
                {
                    "id": row.id,
                    "created_at": row.created_at.isoformat(),
                    "resource_type": row.resource_type,
                    "message": message,
                    "where": sealer.open(row.where_ct, aad + b"|where").decode(),
                }
            )
        return out

    def _quarantine_sealer(self) -> crypto.Sealer:
        return self._sealer(crypto.derive_key(self._keys.kek, QUARANTINE_KEY_INFO))

    # -- free text and re-identification ------------------------------------------------------

    def scan(self, patient_tok: str, text: str) -> str:
        return self.context_for_token(patient_tok).scan(text)

    def tokenize(self, patient_tok: str, kind: str, value: str) -> str:
        ctx = self.context_for_token(patient_tok)
        with self._store.transaction():
            token = ctx.token(kind, value)
            ctx.flush()
        return token

    def shift_date_text(self, patient_tok: str, text: str) -> str | None:
        ctx = self._sealed(patient_tok)
        shifted = shift_text_dates(text, ctx.offset_days)
        return shifted if shifted != text else ctx.shift(text)

    def reveal(self, patient_tok: str, texts: Sequence[str], *, request: RevealRequest) -> Revealed:
        """In process the caller authorized ``request`` already (and audited it)."""
        return Revealed(tuple(self.reidentify(patient_tok, text) for text in texts), None)

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
        resource = self.patient_resource(patient_tok)
        return None if resource is None else f"Patient/{resource.get('id')}"

    def patient_resource(self, patient_tok: str) -> dict[str, Any] | None:
        ctx = self._sealed(patient_tok)
        for row in self._store.resources_of(patient_tok):
            if row.resource_type == "Patient":
                return ctx.open_row(row)
        return None


def _quarantine_aad(row_id: int, patient_tok: str | None) -> bytes:
    return f"quarantine|{row_id}|{patient_tok or '-'}".encode()


def _named_patient(resource: Any) -> str | None:
    """``Patient/<id>`` that a rejected resource is or names (subject/patient), if any."""
    if not isinstance(resource, Mapping):
        return None
    if resource.get("resourceType") == "Patient" and isinstance(resource.get("id"), str):
        return f"Patient/{resource['id']}"
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, Mapping) and isinstance(ref.get("reference"), str):
            reference: str = ref["reference"]
            if reference.startswith("Patient/") and len(reference) > len("Patient/"):
                return reference
    return None


def _patient_ref(source_ref: str) -> str:
    if source_ref == SHARED_SCOPE or source_ref.startswith("Patient/"):
        return source_ref
    return f"Patient/{source_ref}"
