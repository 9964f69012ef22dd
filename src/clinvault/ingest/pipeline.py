"""Ingestion: FHIR files -> validated resources -> vault (encrypted) -> pseudonymized chunks
-> leak gate -> embeddings -> index.

Patients are ingested in groups (``settings.ingest.group_patients``): a group's vault writes
and index upserts happen inside one vault transaction (the index flushed before the commit),
so a failure or a kill leaves every earlier group complete and nothing of the group in flight
but, possibly, index points with the same deterministic ids a rerun overwrites. Re-ingesting
unchanged resources writes nothing (content hash); a changed resource replaces its old
chunks. With a :class:`~clinvault.ingest.workers.WorkerPool` validation and PHI detection run
in worker processes (no keys there); embedding runs on a thread (:mod:`.parallel`); see
``docs/scaling.md``.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from clinvault.errors import PatientErased
from clinvault.fhir.references import Linkage, ReferenceIndex
from clinvault.fhir.sources import (
    Reader,
    SourceItem,
    SourceResource,
    iter_sources,
)
from clinvault.index.base import Embedder, VectorIndex
from clinvault.ingest import stages
from clinvault.ingest.chunker import Chunker
from clinvault.ingest.leak_gate import Refusal
from clinvault.ingest.merges import rehome, split_merges
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.parallel import GroupEmbedder, StageTimes
from clinvault.ingest.prior import VaultPriorRecords
from clinvault.ingest.report import IngestReport, Outcome, Problem
from clinvault.ingest.run_patients import DeferredReader, RunPatients
from clinvault.ingest.stages import Changes, PatientBatch
from clinvault.ingest.workers import PoolDetector, Verdict, WorkerPool, validated
from clinvault.interop.ccda.source import readers as ccda_readers
from clinvault.interop.hl7v2.source import readers as legacy_readers
from clinvault.model import Chunk
from clinvault.settings import Settings
from clinvault.vault import SHARED_SCOPE, PatientContext, Vault
from clinvault.vault.client import Stored


class Progress(Protocol):
    """Where an ingest reports how far it is, in resources: ``stage`` names what it does now
    (``reading``, then ``ingesting``, ``merging``, ``indexing``); while reading the total is
    unknown and ``advance`` counts resources read; ``start`` then sets the total of the
    stages after reading and starts the count again."""

    def stage(self, name: str) -> None: ...
    def start(self, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...


class CareTeamSink(Protocol):
    def record_care_team(self, patient_ref: str, practitioner_refs: Iterable[str]) -> None: ...


class _NoProgress:
    def stage(self, name: str) -> None:
        return None

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
    """Free-text PHI detection over notes; without a detector only known identifiers go.
    Whatever it misses of a known identifier, the leak gate (always run) refuses."""
    readers: Mapping[str, Reader] | None = None
    """Format name -> reader replacing the configured one (the MLLP feed reads from memory)."""
    group_patients: int | None = None
    """Patients per vault transaction (and index flush): see :meth:`_ingest_group`.
    ``None``: ``settings.ingest.group_patients``."""
    embed_batch_chunks: int = 512
    """Chunk texts per embedder call, across patients (the embedder batches inside it)."""
    pool: WorkerPool | None = None
    """Worker processes for validation (and, when ``notes`` scrubs with the pool's
    :class:`~clinvault.ingest.workers.PoolDetector`, PHI detection); ``None``: in process."""
    times: StageTimes = field(default_factory=StageTimes)
    """Seconds per stage of the last :meth:`run`."""

    def run(self, paths: Sequence[Path]) -> IngestReport:
        started = time.perf_counter()
        self.times = StageTimes()
        try:
            return self._run(paths)
        finally:
            self.times.wall = time.perf_counter() - started

    def _run(self, paths: Sequence[Path]) -> IngestReport:
        group_size = (
            self.settings.ingest.group_patients
            if self.group_patients is None
            else self.group_patients
        )
        if group_size < 1:
            raise ValueError("group_patients must be at least 1")
        report = IngestReport()
        self.progress.stage("reading")
        with self.times.timing("read"):
            items, linkage = self._read(paths, report)
        by_patient: dict[str, list[SourceResource]] = defaultdict(list)
        shared: dict[str, SourceResource] = {}
        self.progress.start(len(items))  # resources, so the bar shows resources/s
        self.progress.stage("ingesting")
        done = 0
        for item in items:
            link = linkage.links[item.where]
            if link.problem is not None:
                self._reject(report, item.where, link.resource_type, link.problem, item.resource)
                done += 1
            elif link.patient is None:
                if link.key:
                    shared[link.key] = item
                else:
                    done += 1  # a shared resource without id: nothing to store
            else:
                by_patient[link.patient].append(item)
        kept, merges = split_merges(by_patient)  # A40: the merged-away patient is not kept
        self.progress.advance(done)
        if shared:
            self._store_shared(shared, linkage, report)
            self.progress.advance(len(shared))
            done += len(shared)
        patients = sorted(kept)
        groups = [patients[n : n + group_size] for n in range(0, len(patients), group_size)]
        detector = self.notes.detector if isinstance(self.notes.detector, PoolDetector) else None
        ahead: deque[list[PatientBatch]] = deque()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as executor:
            for number in range(len(groups)):
                # the next group's notes go to the workers while this group is written
                lookahead = number + 1 if detector is not None else number
                for upcoming in range(number + len(ahead), min(lookahead + 1, len(groups))):
                    upcoming_batches = [
                        _batch(p, kept[p], shared, linkage) for p in groups[upcoming]
                    ]
                    if detector is not None:
                        self._prefetch(detector, upcoming_batches)
                    ahead.append(upcoming_batches)
                batches = ahead.popleft()
                for patient_ref in self._ingest_group(batches, report, executor):
                    if self.care_team is not None and patient_ref in linkage.care_team:
                        self.care_team.record_care_team(patient_ref, linkage.care_team[patient_ref])
                group_resources = sum(len(b.resources) for b in batches)
                self.progress.advance(group_resources)
                done += group_resources
        if merges:
            self.progress.stage("merging")
        for merged_ref, (survivor_ref, rest) in sorted(merges.items()):
            self._merge(merged_ref, survivor_ref, rest, linkage, report)
            self.progress.advance(len(rest))
            done += len(rest)
        self.progress.advance(len(items) - done)  # merged-away Patients: not stored
        if detector is not None:
            self.times.detect = detector.seconds
        if report.chunks_indexed >= self.settings.ingest.optimize_after_chunks:
            self.progress.stage("indexing")
            self.index.optimize()  # build the HNSW graph once for a bulk load
        return report

    # -- pass 1: read, validate, index references ---------------------------------------------

    def _read(
        self, paths: Sequence[Path], report: IngestReport
    ) -> tuple[list[SourceResource], Linkage]:
        """Read every input, validate each resource once (on the worker processes when there
        is a pool), link references. Native FHIR files first, then the legacy files, which
        look their patients up among the FHIR Patients of the run (:mod:`.run_patients`)."""
        refs = ReferenceIndex(prior=VaultPriorRecords(self.vault))
        items: list[SourceResource] = []
        run_patients = RunPatients(self.vault)  # same-run FHIR Patients match legacy MRNs
        readers = self.readers or {
            **legacy_readers(self.settings, run_patients),
            **ccda_readers(self.settings, run_patients),
        }

        def take(item: SourceItem, verdict: Verdict | None, legacy: bool) -> None:
            resource = report.take_source(item)
            if resource is None:
                return
            self.progress.advance()
            if verdict is not None:
                self._reject(
                    report,
                    resource.where,
                    verdict.resource_type,
                    verdict.message,
                    resource.resource,
                )
                return
            refs.add(resource)
            items.append(resource)
            if not legacy:
                run_patients.add(resource.resource)

        deferred: list[Path] = []  # legacy files, read once every FHIR file is in
        stand_in = DeferredReader(deferred)
        native = iter_sources(list(paths), readers={name: stand_in for name in readers})
        for item, verdict in validated(native, self.pool, self.times):
            take(item, verdict, False)
        if deferred:
            legacy = iter_sources(deferred, readers=readers)
            for item, verdict in validated(legacy, self.pool, self.times):
                take(item, verdict, True)
        return items, refs.link()

    def _reject(
        self, report: IngestReport, where: str, rtype: str, message: str, resource: Any
    ) -> None:
        self.vault.quarantine(where, rtype, message, resource)
        report.rejected.append(Problem(where, rtype, message, Outcome.QUARANTINED))

    # -- patient merges (:mod:`clinvault.ingest.merges`) --------------------------------------

    def _merge(
        self,
        merged_ref: str,
        survivor_ref: str,
        items: Sequence[SourceResource],
        linkage: Linkage,
        report: IngestReport,
    ) -> None:
        """The vault merges ``merged_ref`` into the survivor; the merged patient's earlier
        records and its other resources of this run are filed under the survivor (references
        re-pointed) in the same transaction, then its old index points go."""
        survivor = self.vault.patient_token(survivor_ref)
        merged = self.vault.patient_token(merged_ref)
        if not self.vault.has_patient(survivor):
            report.rejected.append(
                Problem(f"patient {merged}", "Patient", "not merged: the surviving patient "
                        "is not in the vault")
            )  # fmt: skip
            return
        with self.vault.transaction():
            moved = self.vault.merge_patients(survivor_ref, merged_ref)
            earlier = [r for r in moved if r.get("resourceType") != "Patient"]
            resources = [rehome(r, merged_ref, survivor_ref) for r in earlier] + [
                rehome(i.resource, merged_ref, survivor_ref) for i in items
            ]
            keys = [f"{r.get('resourceType')}/{r.get('id')}" for r in earlier] + [
                linkage.links[i.where].key or "" for i in items
            ]
            references: dict[str, str] = {}
            for ref in (r for resource in resources for r in _walk_references(resource)):
                resolved = linkage.resolver.resolve_string(ref, bundle=None)
                if resolved is None and _TYPED_REF.fullmatch(ref):
                    resolved = ref  # a stored original's own ``Type/id`` reference
                if resolved is not None:
                    references.setdefault(ref, resolved)
            batch = PatientBatch(
                survivor_ref, tuple(zip(keys, resources, strict=True)), (), references
            )
            self._ingest_patient(batch, report)
        if merged != survivor:
            self.index.delete_patient(merged)
            report.notices.append(f"patient {merged} merged into {survivor}")

    # -- shared resources (no patient) --------------------------------------------------------

    def _store_shared(
        self, shared: Mapping[str, SourceResource], linkage: Linkage, report: IngestReport
    ) -> None:
        resources = {key: item.resource for key, item in shared.items()}
        with self.vault.transaction():
            stored = self.vault.stored(resources)
            session = self.vault.patient_session(SHARED_SCOPE)
            for key, resource in resources.items():
                if stored[key] is Stored.UNCHANGED:
                    report.resources_unchanged += 1
                    continue
                session.seal(key, resource)
                report.by_type[key.split("/", 1)[0]] += 1
                report.resources_stored += 1
            session.flush()

    # -- a group of patients -------------------------------------------------------------------

    def _prefetch(self, detector: PoolDetector, batches: Sequence[PatientBatch]) -> None:
        """Send the notes each patient's scrub will ask for (those of its new or changed
        indexed resources) to the workers, one job per patient."""
        unindexed = set(self.settings.ingest.unindexed_types)
        for batch in batches:
            changes = stages.detect_changes(batch, self.vault.stored(batch.keyed()))
            if changes:
                positions = stages.to_chunk(batch, changes, unindexed)
                detector.prefetch(stages.note_texts_at(batch, positions))

    def _ingest_group(
        self, batches: Sequence[PatientBatch], report: IngestReport, executor: ThreadPoolExecutor
    ) -> list[str]:
        """Per patient: detect changes -> pseudonymize -> scrub notes -> chunk -> gate (the
        leak gate is not optional), its passed chunks queued for embedding across patients;
        then every patient's write; all in one vault transaction. The report counts the
        group once it is committed. Returns the patients ingested (not refused as erased)."""
        embeds = GroupEmbedder(
            self.embedder, executor, self.times, batch_chunks=self.embed_batch_chunks
        )
        prepared: list[_Prepared] = []
        erased: list[str] = []
        unchanged = 0
        with self.vault.transaction():
            for batch in batches:
                try:
                    with self.times.timing("prepare"):
                        item = self._prepare(batch)
                except PatientErased:  # raised before the patient's first write
                    erased.append(batch.patient_ref)
                    continue
                if item is None:
                    unchanged += len(batch.resources)
                    continue
                unchanged += item.changes.unchanged
                embeds.add([c.text for c in item.passed])
                prepared.append(item)
            vectors = embeds.vectors()
            with self.times.timing("write"):
                offset = 0
                for item in prepared:
                    mine = vectors[offset : offset + len(item.passed)]
                    offset += len(item.passed)
                    item.stored = stages.write(
                        item.session,
                        self.index,
                        self.embedder,
                        item.batch,
                        item.changes,
                        item.tokens,
                        item.chunks,
                        item.passed,
                        vectors=mine,
                    )
        report.resources_unchanged += unchanged
        for patient_ref in erased:
            token = self.vault.patient_token(patient_ref)
            report.rejected.append(
                Problem(f"patient {token}", "Patient", "the patient was erased; "
                        "re-ingest needs --allow-reingest (audited)")
            )  # fmt: skip
        for item in prepared:
            self._count(report, item)
        return [b.patient_ref for b in batches if b.patient_ref not in erased]

    def _prepare(self, batch: PatientBatch) -> _Prepared | None:
        """One patient up to its gate; ``None`` when none of its resources changed."""
        patient_ref = batch.patient_ref
        changes = stages.detect_changes(batch, self.vault.stored(batch.keyed()))
        if not changes:
            return None
        tokens = {k: self.vault.resource_token(k) for k, _ in batch.resources}
        tokens.setdefault(patient_ref, self.vault.resource_token(patient_ref))
        session = self.vault.patient_session(patient_ref, references=batch.references)
        chunks, unscrubbed = self._chunks(session, batch, changes, tokens)
        changes = self._refuse_unscrubbed(batch, changes, tokens, unscrubbed)
        gated = self._gate(session, batch, [c for cs in chunks.values() for c in cs])
        return _Prepared(
            batch, changes, tokens, session, chunks, gated.passed, gated.refused, unscrubbed
        )

    def _refuse_unscrubbed(
        self,
        batch: PatientBatch,
        changes: Changes,
        tokens: Mapping[str, str],
        unscrubbed: Mapping[str, str],
    ) -> Changes:
        """Fail closed on a detector failure: each resource whose notes the PHI detector could
        not scrub is quarantined (sealed) and left out of this ingest (not indexed, not
        stored, old chunks kept); it is named by its resource token only."""
        if not unscrubbed:
            return changes
        resources = dict(batch.resources)
        for key, reason in unscrubbed.items():
            rtype = key.split("/", 1)[0] or "-"
            self.vault.quarantine(_unscrubbed_where(key, tokens), rtype, reason, resources[key])
        return stages.without(changes, unscrubbed)

    def _count(self, report: IngestReport, item: _Prepared) -> None:
        report.patients += 1
        _report_unscrubbed(report, item.tokens, item.unscrubbed)
        for refusal in item.refused:
            report.rejected.append(
                Problem(
                    f"{refusal.chunk.resource_type} chunk {refusal.chunk.chunk_id}",
                    refusal.chunk.resource_type,
                    f"leak gate refused the chunk: it still holds a known {refusal.kind} identifier",
                    Outcome.CHUNK_REFUSED,
                )
            )
        report.chunks_refused += len(item.refused)
        for key in item.changes.changed:
            report.by_type[key.split("/", 1)[0]] += 1
        report.resources_stored += item.stored
        report.chunks_indexed += len(item.passed)

    # -- one patient (a merge's survivor) -------------------------------------------------------

    def _ingest_patient(self, batch: PatientBatch, report: IngestReport) -> None:
        """detect changes -> pseudonymize -> scrub notes -> chunk -> gate -> write, in one
        vault transaction; the leak gate is not optional."""
        patient_ref = batch.patient_ref
        changes = stages.detect_changes(batch, self.vault.stored(batch.keyed()))
        report.resources_unchanged += changes.unchanged
        if not changes:
            return
        report.patients += 1
        tokens = {k: self.vault.resource_token(k) for k, _ in batch.resources}
        tokens.setdefault(patient_ref, self.vault.resource_token(patient_ref))
        with self.vault.transaction():
            session = self.vault.patient_session(patient_ref, references=batch.references)
            chunks, unscrubbed = self._chunks(session, batch, changes, tokens)
            changes = self._refuse_unscrubbed(batch, changes, tokens, unscrubbed)
            _report_unscrubbed(report, tokens, unscrubbed)
            gated = self._gate(session, batch, [c for cs in chunks.values() for c in cs])
            for refusal in gated.refused:
                report.rejected.append(
                    Problem(
                        f"{refusal.chunk.resource_type} chunk {refusal.chunk.chunk_id}",
                        refusal.chunk.resource_type,
                        f"leak gate refused the chunk: it still holds a known {refusal.kind} identifier",
                        Outcome.CHUNK_REFUSED,
                    )
                )
            report.chunks_refused += len(gated.refused)
            stored = stages.write(
                session, self.index, self.embedder, batch, changes, tokens, chunks, gated.passed
            )
        for key in changes.changed:
            report.by_type[key.split("/", 1)[0]] += 1
        report.resources_stored += stored
        report.chunks_indexed += len(gated.passed)

    def _gate(
        self, session: PatientContext, batch: PatientBatch, chunks: list[Chunk]
    ) -> stages.Gated:
        """The fail-closed leak gate (:func:`stages.gate`). Production never replaces it; the
        evaluation's privacy ablation (synthetic cohorts only) does, in ``clinvault.eval``."""
        return stages.gate(session, batch, chunks)

    def _index_form(self, session: PatientContext, batch: PatientBatch) -> stages.Pseudonymized:
        """What the index sees of the batch: pseudonymized (:func:`stages.pseudonymize`).
        Like :meth:`_gate`, replaced only by the evaluation's privacy ablation."""
        return stages.pseudonymize(session, batch)

    def _chunks(
        self,
        session: PatientContext,
        batch: PatientBatch,
        changes: Changes,
        tokens: Mapping[str, str],
    ) -> tuple[dict[str, list[Chunk]], dict[str, str]]:
        """Pseudonymize, scrub notes, chunk: what the gate then checks. Also returns the
        resources whose notes the detector failed on (key -> reason): they get no chunk."""
        pseudo = self._index_form(session, batch)
        positions = stages.to_chunk(batch, changes, set(self.settings.ingest.unindexed_types))
        # in process the detector runs inside the scrub; with workers it ran ahead of it
        stage = "scrub" if isinstance(self.notes.detector, PoolDetector) else "detect"
        with self.times.timing(stage):
            notes, unscrubbed = stages.scrub_notes_or_refuse(session, self.notes, batch, positions)
        positions = [n for n in positions if batch.resources[n][0] not in unscrubbed]
        chunker = Chunker(
            self.vault, self.settings.ingest.note_max_chars, self.settings.ingest.note_overlap_chars
        )
        chunks = stages.chunk(
            chunker, session.patient_token, tokens, batch, pseudo, positions, notes
        )
        return chunks, unscrubbed


@dataclass
class _Prepared:
    """One patient of a group between its gate and its write."""

    batch: PatientBatch
    changes: Changes
    tokens: dict[str, str]
    session: PatientContext
    chunks: dict[str, list[Chunk]]
    passed: list[Chunk]
    refused: list[Refusal]
    unscrubbed: dict[str, str] = field(default_factory=dict)
    """Resources refused because the PHI detector failed on their notes (quarantined)."""
    stored: int = 0


def _unscrubbed_where(key: str, tokens: Mapping[str, str]) -> str:
    """A refused note's place in the report and quarantine: its type and resource token."""
    return f"{key.split('/', 1)[0] or 'resource'} {tokens.get(key, 'without id')}"


def _report_unscrubbed(
    report: IngestReport, tokens: Mapping[str, str], unscrubbed: Mapping[str, str]
) -> None:
    for key, reason in unscrubbed.items():
        report.rejected.append(
            Problem(
                _unscrubbed_where(key, tokens),
                key.split("/", 1)[0] or "-",
                f"not indexed: {reason}",
                Outcome.QUARANTINED,
            )
        )


_TYPED_REF = re.compile(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}")


def _batch(
    patient_ref: str,
    items: Sequence[SourceResource],
    shared: Mapping[str, SourceResource],
    linkage: Linkage,
) -> PatientBatch:
    keyed = tuple((linkage.links[i.where].key or "", i.resource) for i in items)
    referenced = _referenced(items, linkage, shared)
    sources = [i.resource for i in items] + [shared[k].resource for k in referenced]
    references: dict[str, str] = {}
    for ref in (r for resource in sources for r in _walk_references(resource)):
        if ref not in references:
            resolved = linkage.resolver.resolve_string(ref, bundle=None)
            if resolved is not None:
                references[ref] = resolved
    return PatientBatch(
        patient_ref,
        keyed,
        tuple((k, shared[k].resource) for k in referenced),
        references,
    )


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
