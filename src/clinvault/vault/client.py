"""``VaultClient``: everything the rest of clinvault may ask of the vault.

Ingest, ask, the API, the evaluation and the CLI hold a ``VaultClient``, never the vault's
store, key ring, policy or clock. :class:`clinvault.vault.Vault` is the in-process
implementation (the embedded default); a remote vault service (its own process holding the
master key and the vault database) implements the same protocol over the network. So only
plain data crosses it: strings, JSON-like dicts, lists, tuples, small frozen dataclasses of
those. No store, key, sealer or connection object goes in or out.

One exception is the per-patient :class:`PatientSession` of ingest: a unit of work that
the vault keeps open between calls (a remote service holds it by id); its methods, too,
take and return plain data only.

Errors are :class:`clinvault.errors.VaultError` (or another ``ClinvaultError``); their
messages never carry PHI.

The contract tests in ``tests/vault/test_client_contract.py`` are written against this
protocol, so that a remote client can run them unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from clinvault.vault.identifiers import KnownValue


class Stored(Enum):
    """What the vault holds of a resource, compared with the resource at hand."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """An original resource as sealed in the vault, opened for an authorized caller."""

    patient_token: str
    resource_type: str
    reference: str
    """``Type/id`` of the source resource."""
    resource: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RevealRequest:
    """Who asks to see an answer re-identified, and why (issue 15).

    The in-process vault trusts its caller (the ask service authorized and audited the
    access in the same process). A vault service does not: it checks this request against
    the access store and the patient's Consent itself and audits it in its own chain, so a
    compromised AI process cannot re-identify for a principal who may not see names."""

    response_id: str
    """The answer's ``RSP-…`` id (its ``ask`` audit record in the calling process)."""
    principal: str
    role: str
    purpose: str
    break_glass_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Revealed:
    """Texts re-identified for a :class:`RevealRequest`."""

    texts: tuple[str, ...]
    audit_ref: str | None
    """``vault:<seq>:<hash>`` of the vault service's audit record of this re-identification
    (one per response id); ``None`` in process, where the ask's own access record stands."""


@runtime_checkable
class PatientSession(Protocol):
    """One patient's open vault context during an ingest: it learns the patient's
    identifiers, hands out tokens and seals originals. Writes are buffered until ``flush``,
    which the caller runs inside :meth:`VaultClient.transaction`."""

    @property
    def patient_token(self) -> str: ...

    def pseudonymize(
        self, resource: Mapping[str, Any], *, age_over_cap: bool = False
    ) -> dict[str, Any]:
        """Identifiers -> tokens, dates shifted, ids opaque; the identifiers become known."""

    def age(self, patient: Mapping[str, Any] | None) -> str | None:
        """The age the index may show of a raw Patient (``90+`` over the policy's cap)."""

    def token(self, kind: str, value: str) -> str:
        """The token for ``value`` (which becomes a known identifier of the patient)."""

    def scan(self, text: str) -> str:
        """Free text with known identifiers replaced and written dates shifted."""

    def replace_known(self, text: str) -> str:
        """Known identifiers -> tokens, nothing else (safe on pseudonymized text)."""

    def shift(self, value: str) -> str | None:
        """A shifted FHIR date/dateTime/instant, or ``None`` if ``value`` is not one."""

    def known_values(self) -> list[KnownValue]:
        """The patient's known identifiers (what the leak gate looks for)."""

    def seal(
        self, source_ref: str, resource: Mapping[str, Any], chunk_ids: tuple[str, ...] = ()
    ) -> None:
        """Seal an original resource with the ids of its indexed chunks."""

    def flush(self) -> None:
        """Write buffered tokens, look-ups and sealed resources."""


@runtime_checkable
class VaultClient(Protocol):
    # -- names: keyed, deterministic, opaque -------------------------------------------------

    def patient_token(self, source_ref: str) -> str:
        """``PT-…`` of ``Patient/<id>`` (or a bare id)."""

    def resource_token(self, source_ref: str) -> str:
        """``RES-…`` of ``Type/id``."""

    def chunk_id(self, resource_token: str, part: str) -> str:
        """The index point id (a UUID) of one part of a resource."""

    # -- patients ---------------------------------------------------------------------------

    def has_patient(self, patient_token: str) -> bool: ...

    def patient_tokens(self) -> list[str]:
        """Every patient token in the vault (the shared scope included)."""

    def find_patient(self, kind: str, value: str) -> list[str]:
        """Patient tokens for an identifier (``MRN``, ``SSN``) or a source ``patient`` ref."""

    def source_patient(self, patient_token: str) -> str | None:
        """``Patient/<id>`` of a patient token, or ``None``."""

    def patient_of(self, source_ref: str) -> str | None:
        """``Patient/<id>`` whose record holds the stored resource ``Type/id``, or ``None``."""

    def patient_resource(self, patient_token: str) -> dict[str, Any] | None:
        """The patient's original Patient resource, or ``None`` (authorized callers only)."""

    def patient_resources(self, patient_token: str) -> list[dict[str, Any]]:
        """The patient's original resources (for authorized callers only)."""

    def known_values(self, patient_token: str) -> list[KnownValue]:
        """The patient's known identifiers, in clear (for guards and leak checks)."""

    def consent_resources(self, patient_token: str) -> list[dict[str, Any]]:
        """The patient's Consent resources (read at ask time, before retrieval)."""

    # -- resources --------------------------------------------------------------------------

    def source_record(self, resource_token: str) -> SourceRecord | None:
        """The original behind a ``RES-…`` token, or ``None`` if unknown."""

    def source_reference(self, resource_token: str) -> tuple[str, str] | None:
        """(patient token, ``Type/id``) of a resource token, or ``None`` if unknown."""

    def pseudonymize_resource(
        self, patient_token: str, resource: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A resource as the index and a researcher see it."""

    def pseudonymized_record(self, resource_token: str) -> SourceRecord | None:
        """The resource behind a ``RES-…`` token as a researcher sees it (its ``reference``
        is the resource token, not ``Type/id``), or ``None`` if unknown: nothing real leaves
        the vault, so a vault service serves it to any caller."""

    def reveal_record(self, resource_token: str, *, request: RevealRequest) -> SourceRecord | None:
        """The original behind a ``RES-…`` token for the person ``request`` names (a vault
        service authorizes and audits that first, as for :meth:`reveal`), or ``None``."""

    # -- free text --------------------------------------------------------------------------

    def scan(self, patient_token: str, text: str) -> str:
        """Free text about a known patient with its known identifiers replaced by tokens and
        written dates shifted (a question before retrieval)."""

    def tokenize(self, patient_token: str, kind: str, value: str) -> str: ...

    def shift_date_text(self, patient_token: str, text: str) -> str | None: ...

    def reidentify(self, patient_token: str, text: str, *, resolve_resources: bool = True) -> str:
        """Tokens -> real values, shifted dates -> real dates, ``RES`` tokens -> ``Type/id``.
        A vault service serves this only to callers trusted with plain reveals (ingest);
        an answer for a person goes through :meth:`reveal`."""

    def reveal(
        self, patient_token: str, texts: Sequence[str], *, request: RevealRequest
    ) -> Revealed:
        """:meth:`reidentify` of each text for the person ``request`` names; a vault service
        authorizes that person first (``AccessDenied`` when it may not see names)."""

    # -- ingest -----------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Vault writes inside the block commit together or not at all (nested blocks join)."""

    def stored(self, resources: Mapping[str, Mapping[str, Any]]) -> dict[str, Stored]:
        """The unchanged check: for each ``Type/id`` key, whether the vault holds it already
        with the same content."""

    def patient_session(
        self, scope: str, *, references: Mapping[str, str] | None = None
    ) -> PatientSession:
        """The session of ``Patient/<id>`` (created on first use) or of the shared scope;
        ``references`` resolves raw references to ``Type/id``."""

    def quarantine(self, where: str, resource_type: str, message: str, resource: Any) -> None:
        """Keep a rejected input sealed (its own transaction)."""

    def quarantined(self) -> list[dict[str, Any]]: ...

    def merge_patients(self, survivor_ref: str, merged_ref: str) -> list[dict[str, Any]]:
        """Merge ``Patient/<merged>`` into ``Patient/<survivor>`` (which must be stored): the
        merged id resolves to the survivor's token from then on; the merged patient's record
        is removed and its original resources returned, to be filed under the survivor in
        the same transaction. ``[]`` when already merged."""

    # -- administration ---------------------------------------------------------------------

    def erase(self, patient_token: str) -> int:
        """Destroy the patient's data key and rows (the erasure is remembered by token, and
        re-ingest is refused); returns rows deleted."""

    def is_erased(self, patient_token: str) -> bool:
        """Whether this patient token was erased (and not re-ingested since)."""

    def counts(self) -> dict[str, int]:
        """Row counts by table (no values)."""

    def close(self) -> None: ...


__all__ = ["PatientSession", "RevealRequest", "Revealed", "SourceRecord", "Stored", "VaultClient"]
