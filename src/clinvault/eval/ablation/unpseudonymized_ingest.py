"""The ablation's "pseudonymization off" ingest: for a verified synthetic cohort only.

The shipped :class:`~clinvault.ingest.pipeline.IngestPipeline` always pseudonymizes and
always runs the leak gate; it has no switch for either. This arm composes its own
per-patient flow from the same public stages (:mod:`clinvault.ingest.stages`):

    detect changes -> pseudonymize (so the vault learns the same identifiers as the other
    arm) -> chunk the ORIGINAL resources and note texts -> write (no gate)

It lives under ``clinvault.eval`` so that the API, the CLI's ``ask``/``serve`` and ingest
cannot import it, and it refuses anything but a :class:`SyntheticCohort`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clinvault.eval.ablation.cohort import SyntheticCohort
from clinvault.fhir.notes import note_texts
from clinvault.ingest import stages
from clinvault.ingest.chunker import Chunker
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.ingest.report import IngestReport
from clinvault.ingest.stages import PatientBatch, Pseudonymized


@dataclass
class UnpseudonymizedIngest(IngestPipeline):
    cohort: SyntheticCohort | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.cohort, SyntheticCohort):
            raise TypeError("pseudonymization can be switched off for a synthetic cohort only")

    def _ingest_patient(self, batch: PatientBatch, report: IngestReport) -> None:
        changes = stages.detect_changes(batch, self.vault.stored(batch.keyed()))
        report.resources_unchanged += changes.unchanged
        if not changes:
            return
        report.patients += 1
        tokens = {k: self.vault.resource_token(k) for k, _ in batch.resources}
        tokens.setdefault(batch.patient_ref, self.vault.resource_token(batch.patient_ref))
        with self.vault.transaction():
            session = self.vault.patient_session(batch.patient_ref, references=batch.references)
            learned = stages.pseudonymize(session, batch)  # the vault learns the identifiers
            original = Pseudonymized(
                tuple(r for _, r in batch.resources), batch.patient, learned.age
            )
            positions = stages.to_chunk(batch, changes, set(self.settings.ingest.unindexed_types))
            notes: stages.NoteParts = {}
            for n in positions:
                key, resource = batch.resources[n]
                for note in note_texts(resource):
                    notes.setdefault(key, []).append((note.part, note.text))
            chunker = Chunker(
                self.vault,
                self.settings.ingest.note_max_chars,
                self.settings.ingest.note_overlap_chars,
            )
            chunks = stages.chunk(
                chunker, session.patient_token, tokens, batch, original, positions, notes
            )
            passed = [c for cs in chunks.values() for c in cs]
            stored = stages.write(
                session, self.index, self.embedder, batch, changes, tokens, chunks, passed
            )
        for key in changes.changed:
            report.by_type[key.split("/", 1)[0]] += 1
        report.resources_stored += stored
        report.chunks_indexed += len(passed)
