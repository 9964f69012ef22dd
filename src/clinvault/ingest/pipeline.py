"""Ingestion: FHIR files -> validated resources -> vault (encrypted) -> pseudonymized chunks
-> leak gate -> embeddings -> index.

Each patient is one unit of work: its vault writes and index writes happen inside one vault
transaction, so a failure leaves neither half-written. Re-ingesting unchanged resources
writes nothing; a changed resource replaces its old chunks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from clinvault.fhir.notes import note_texts
from clinvault.fhir.references import Linkage, ReferenceIndex
from clinvault.fhir.sources import BadInput, SkippedEntry, SkippedFile, SourceResource, iter_sources
from clinvault.fhir.validate import validate
from clinvault.index.base import Embedder, VectorIndex
from clinvault.ingest.chunker import Chunker
from clinvault.ingest.leak_gate import LeakGate
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.prior import VaultPriorRecords
from clinvault.ingest.privacy import IndexPrivacy, Pseudonymizing
from clinvault.ingest.report import IngestReport, Problem
from clinvault.ingest.summary import age_text, summary_text
from clinvault.model import Chunk
from clinvault.settings import Settings
from clinvault.vault import SHARED_SCOPE, PatientContext, Vault
from clinvault.vault.dates import date_variants
from clinvault.vault.store import ResourceRow

NAMED_SHARED_TYPES = frozenset({"Practitioner", "PractitionerRole", "Organization", "Location"})


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...


class CareTeamSink(Protocol):
    def record_care_team(self, patient_ref: str, practitioner_refs: Iterable[str]) -> None: ...


class _NoProgress:
    def start(self, total: int) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None


@dataclass
class IngestPipeline:
    settings: Settings
    vault: Vault
    embedder: Embedder
    index: VectorIndex
    progress: Progress = field(default_factory=_NoProgress)
    care_team: CareTeamSink | None = None
    notes: NoteScrubber = field(default_factory=lambda: NoteScrubber(None))
    """Free-text PHI detection over notes; without a detector only known identifiers go."""
    privacy: IndexPrivacy = field(default_factory=Pseudonymizing)
    """What the index sees of each resource, and which chunks pass the leak gate."""

    def run(self, paths: Sequence[Path]) -> IngestReport:
        report = IngestReport()
        items, linkage = self._read(paths, report)
        by_patient: dict[str, list[SourceResource]] = defaultdict(list)
        shared: dict[str, SourceResource] = {}
        for item in items:
            link = linkage.links[item.where]
            if link.problem is not None:
                self._reject(report, item.where, link.resource_type, link.problem, item.resource)
            elif link.patient is None:
                if link.key:
                    shared[link.key] = item
            else:
                by_patient[link.patient].append(item)
        self.progress.start(len(by_patient) + (1 if shared else 0))
        if shared:
            self._store_shared(shared, linkage, report)
            self.progress.advance()
        for patient_ref in sorted(by_patient):
            self._ingest_patient(patient_ref, by_patient[patient_ref], shared, linkage, report)
            if self.care_team is not None and patient_ref in linkage.care_team:
                self.care_team.record_care_team(patient_ref, linkage.care_team[patient_ref])
            self.progress.advance()
        if report.chunks_indexed >= self.settings.ingest.optimize_after_chunks:
            self.index.optimize()  # build the HNSW graph once for a bulk load
        return report

    # -- pass 1: read, validate, index references ---------------------------------------------

    def _read(
        self, paths: Sequence[Path], report: IngestReport
    ) -> tuple[list[SourceResource], Linkage]:
        refs = ReferenceIndex(prior=VaultPriorRecords(self.vault))
        items: list[SourceResource] = []
        for item in iter_sources(paths):
            if isinstance(item, SkippedFile):
                report.skipped_files.append((str(item.path), item.reason))
            elif isinstance(item, SkippedEntry):
                report.notices.append(f"{item.where}: {item.reason}")
            elif isinstance(item, BadInput):
                report.rejected.append(Problem(item.where, "-", item.message))
            else:
                report.resources_seen += 1
                rejected = validate(item.resource, item.where)
                if rejected is not None:
                    self._reject(
                        report, item.where, rejected.resource_type, str(rejected), item.resource
                    )
                    continue
                refs.add(item)
                items.append(item)
        return items, refs.link()

    def _reject(
        self, report: IngestReport, where: str, rtype: str, message: str, resource: Any
    ) -> None:
        report.rejected.append(Problem(where, rtype, message))
        with self.vault.store.transaction():
            self.vault.quarantine(where, rtype, message, resource)

    # -- shared resources (no patient) --------------------------------------------------------

    def _store_shared(
        self, shared: Mapping[str, SourceResource], linkage: Linkage, report: IngestReport
    ) -> None:
        with self.vault.store.transaction():
            ctx = self._context(SHARED_SCOPE, linkage)
            existing = self.vault.store.get_resources([self.vault.record_id(k) for k in shared])
            rows = []
            for key, item in shared.items():
                row = existing.get(self.vault.record_id(key))
                if row is not None and row.content_hash == self.vault.content_hash(item.resource):
                    report.resources_unchanged += 1
                    continue
                rows.append(self.vault.seal_resource(ctx, key, item.resource, ()))
                report.by_type[key.split("/", 1)[0]] += 1
            self.vault.store.put_resources(rows)
            ctx.flush()
            report.resources_stored += len(rows)

    # -- one patient --------------------------------------------------------------------------

    def _context(self, scope: str, linkage: Linkage) -> PatientContext:
        ctx = self.vault.context(scope)
        ctx.resolve_reference = lambda ref: linkage.resolver.resolve_string(ref, bundle=None)
        return ctx

    def _ingest_patient(
        self,
        patient_ref: str,
        items: list[SourceResource],
        shared: Mapping[str, SourceResource],
        linkage: Linkage,
        report: IngestReport,
    ) -> None:
        vault = self.vault
        keyed = [(linkage.links[i.where].key or "", i) for i in items]
        existing = vault.store.get_resources([vault.record_id(k) for k, _ in keyed if k])
        changed = [
            (k, i)
            for k, i in keyed
            if not (row := existing.get(vault.record_id(k)))
            or row.content_hash != vault.content_hash(i.resource)
        ]
        report.resources_unchanged += len(keyed) - len(changed)
        if not changed:
            return
        report.patients += 1
        patient_item = next((i for k, i in keyed if k == patient_ref), None)
        raw_patient = patient_item.resource if patient_item else None
        with vault.store.transaction():
            ctx = self._context(patient_ref, linkage)
            on = vault.clock.now().date()
            age = age_text(
                raw_patient.get("birthDate") if raw_patient else None,
                on,
                vault.policy.age_cap,
                raw_patient.get("deceasedDateTime") if raw_patient else None,
            )
            over_cap = bool(age and age.endswith("+"))
            pseudonymizer = vault.pseudonymizer(ctx, age_over_cap=over_cap)
            # Learn every identifier first: the patient, then people and places it references.
            privacy = self.privacy
            pseudo_patient = privacy.resource(pseudonymizer, raw_patient) if raw_patient else None
            for shared_key in _referenced(items, linkage, shared):
                item = shared[shared_key]
                if shared_key.split("/", 1)[0] in NAMED_SHARED_TYPES:
                    pseudonymizer.pseudonymize(item.resource)
            for _key, i in keyed:
                if i.resource.get("resourceType") == "RelatedPerson":
                    pseudonymizer.pseudonymize(i.resource)

            chunker = Chunker(
                vault.keys,
                self.settings.ingest.note_max_chars,
                self.settings.ingest.note_overlap_chars,
            )
            unindexed = set(self.settings.ingest.unindexed_types)
            pseudos: list[Mapping[str, Any]] = []
            to_chunk: list[tuple[str, SourceResource, Mapping[str, Any]]] = []
            changed_keys = {k for k, _ in changed}
            for k, i in keyed:
                pseudo = (
                    pseudo_patient
                    if (k == patient_ref and pseudo_patient is not None)
                    else privacy.resource(pseudonymizer, i.resource)
                )
                pseudos.append(pseudo)
                rtype = str(i.resource.get("resourceType"))
                if k in changed_keys and rtype != "Patient" and rtype not in unindexed:
                    to_chunk.append((k, i, pseudo))
            notes = [(k, n) for k, i, _ in to_chunk for n in note_texts(i.resource)]
            patient_notes = self.notes.for_patient(i.resource for _, i in keyed)
            scrubbed = patient_notes.scrub_all(ctx, [n.text for _, n in notes])
            notes_by_key: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for (k, note), text in zip(notes, scrubbed, strict=True):
                notes_by_key[k].append((note.part, text))
            chunks_by_key: dict[str, list[Chunk]] = {
                k: chunker.resource_chunks(
                    ctx.patient_token, vault.resource_token(k), pseudo, notes_by_key.get(k, [])
                )
                for k, _, pseudo in to_chunk
            }
            if pseudo_patient is not None:
                text = summary_text(ctx.patient_token, pseudo_patient, age, pseudos)
                chunks_by_key.setdefault(patient_ref, []).append(
                    chunker.summary_chunk(
                        ctx.patient_token, vault.resource_token(patient_ref), text, None
                    )
                )

            gate = LeakGate(
                ctx.matcher, self._gate_values(keyed), birth_dates=_birth_forms(raw_patient)
            )
            all_chunks = [c for chunks in chunks_by_key.values() for c in chunks]
            passed, refused = privacy.admit(ctx, all_chunks, gate)
            for refusal in refused:
                report.rejected.append(
                    Problem(
                        f"{refusal.chunk.resource_type} chunk {refusal.chunk.chunk_id}",
                        refusal.chunk.resource_type,
                        f"leak gate refused the chunk: it still holds a known {refusal.kind} identifier",
                    )
                )
            report.chunks_refused += len(refused)
            passed_ids = {c.chunk_id for c in passed}

            old_tokens = [
                existing[vault.record_id(k)].resource_token
                for k in changed_keys
                if vault.record_id(k) in existing
            ]
            if old_tokens:
                self.index.delete_resources(ctx.patient_token, old_tokens)
            if passed:
                vectors = self.embedder.embed_documents([c.text for c in passed])
                self.index.upsert(passed, vectors)
            rows: list[ResourceRow] = []
            for k, i in changed:
                ids = tuple(
                    c.chunk_id for c in chunks_by_key.get(k, []) if c.chunk_id in passed_ids
                )
                rows.append(vault.seal_resource(ctx, k, i.resource, ids))
                report.by_type[k.split("/", 1)[0]] += 1
            vault.store.put_resources(rows)
            ctx.flush()
        report.resources_stored += len(rows)
        report.chunks_indexed += len(passed)

    def _gate_values(self, keyed: Sequence[tuple[str, SourceResource]]) -> list[str]:
        return [
            k.split("/", 1)[1] for k, _ in keyed if "/" in k and _looks_like_id(k.split("/", 1)[1])
        ]


def _birth_forms(raw_patient: Mapping[str, Any] | None) -> list[str]:
    if raw_patient and isinstance(raw_patient.get("birthDate"), str):
        return list(date_variants(raw_patient["birthDate"]))
    return []


def _looks_like_id(value: str) -> bool:
    """Source ids such as ``Stroke`` or ``example`` are words, not identifiers; ids with a
    digit (uuids, record numbers) are what the gate looks for."""
    return any(ch.isdigit() for ch in value)


def _walk_references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str):
            yield ref
        for child in value.values():
            yield from _walk_references(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk_references(child)


def _referenced(
    items: Sequence[SourceResource], linkage: Linkage, shared: Mapping[str, SourceResource]
) -> list[str]:
    found: dict[str, None] = {}
    for item in items:
        for ref in _walk_references(item.resource):
            key = linkage.resolver.resolve_string(ref, bundle=None)
            if key is not None and key in shared:
                found[key] = None
    return list(found)
