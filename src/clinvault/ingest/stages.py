"""The stages of ingesting one patient, each a function with explicit inputs and outputs.

    detect_changes -> pseudonymize -> scrub_notes -> chunk -> gate -> write

Between stages only plain data travels (:class:`PatientBatch`, :class:`Changes`,
:class:`Pseudonymized`, note texts, ``Chunk`` lists): no file, connection or index handle, so
a pipelined or parallel ingest can run them in worker processes. Three stages work inside
the patient's vault session (:class:`~clinvault.vault.client.PatientSession`), which is the
vault's unit of work, passed explicitly: ``pseudonymize`` and ``scrub_notes`` (which teach
it the patient's identifiers and get tokens from it) and ``gate`` (which asks it what it
knows). ``write`` is the sink: the index and the session's buffered vault writes, inside the
caller's vault transaction.

:class:`~clinvault.ingest.pipeline.IngestPipeline` composes them, always with the gate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from clinvault.fhir.notes import note_texts
from clinvault.index.base import Embedder, VectorIndex
from clinvault.ingest.chunker import Chunker
from clinvault.ingest.leak_gate import LeakGate, Refusal
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.summary import summary_text
from clinvault.model import Chunk
from clinvault.phi.base import DetectorFailed
from clinvault.vault import PatientContext
from clinvault.vault.client import PatientSession, Stored
from clinvault.vault.dates import date_variants
from clinvault.vault.identifiers import IdentifierMatcher

NAMED_SHARED_TYPES = frozenset({"Practitioner", "PractitionerRole", "Organization", "Location"})
"""Shared resources whose names are identifiers of the patients they serve."""

NoteParts = dict[str, list[tuple[str, str]]]
"""``Type/id`` -> ``(note part, scrubbed text)`` of the resource's notes."""


@dataclass(frozen=True, slots=True)
class PatientBatch:
    """One patient's input: raw resources by key (``Type/id``, or ``""`` when a resource
    has no id), the shared resources they reference, and their resolved references."""

    patient_ref: str
    resources: tuple[tuple[str, dict[str, Any]], ...]
    shared: tuple[tuple[str, dict[str, Any]], ...] = ()
    references: Mapping[str, str] | None = None

    @property
    def patient(self) -> dict[str, Any] | None:
        """The raw Patient resource, if this batch holds it."""
        return next((r for k, r in self.resources if k == self.patient_ref), None)

    def keyed(self) -> dict[str, dict[str, Any]]:
        """Resources with a key, for the vault's unchanged check."""
        return {k: r for k, r in self.resources if k}


@dataclass(frozen=True, slots=True)
class Changes:
    positions: tuple[int, ...]
    """Batch positions of the resources to (re)write (a keyless resource always is)."""
    changed: tuple[str, ...]
    """Their keys, in batch order."""
    replaced: tuple[str, ...]
    """Changed keys the vault held before: their old chunks go."""
    unchanged: int

    def __bool__(self) -> bool:
        return bool(self.changed)


@dataclass(frozen=True, slots=True)
class Pseudonymized:
    resources: tuple[dict[str, Any], ...]
    """The index form of each batch resource, in batch order."""
    patient: dict[str, Any] | None
    age: str | None
    """The age the index may show (``90+`` over the policy's cap)."""


@dataclass(frozen=True, slots=True)
class Gated:
    passed: list[Chunk]
    refused: list[Refusal]


# -- 1. detect changes ------------------------------------------------------------------------


def detect_changes(batch: PatientBatch, stored: Mapping[str, Stored]) -> Changes:
    """Which resources to write, from the vault's answer to ``stored(batch.keyed())``."""
    positions: list[int] = []
    replaced: dict[str, None] = {}
    for n, (key, _) in enumerate(batch.resources):
        state = stored.get(key, Stored.NEW) if key else Stored.NEW
        if state is Stored.UNCHANGED:
            continue
        positions.append(n)
        if state is Stored.CHANGED:
            replaced[key] = None
    return Changes(
        tuple(positions),
        tuple(batch.resources[n][0] for n in positions),
        tuple(replaced),
        len(batch.resources) - len(positions),
    )


# -- 2. pseudonymize --------------------------------------------------------------------------


def pseudonymize(session: PatientSession, batch: PatientBatch) -> Pseudonymized:
    """The index form of every resource. Identifiers are learned first, so that every later
    resource and note is scanned for them: the patient, then the people and places it
    references (practitioners, organisations, related persons)."""
    raw_patient = batch.patient
    age = session.age(raw_patient)
    over_cap = bool(age and age.endswith("+"))
    pseudo_patient = (
        session.pseudonymize(raw_patient, age_over_cap=over_cap) if raw_patient else None
    )
    for key, resource in batch.shared:
        if key.split("/", 1)[0] in NAMED_SHARED_TYPES:
            session.pseudonymize(resource, age_over_cap=over_cap)
    for _, resource in batch.resources:
        if resource.get("resourceType") == "RelatedPerson":
            session.pseudonymize(resource, age_over_cap=over_cap)
    pseudos = tuple(
        pseudo_patient
        if key == batch.patient_ref and pseudo_patient is not None
        else session.pseudonymize(resource, age_over_cap=over_cap)
        for key, resource in batch.resources
    )
    return Pseudonymized(pseudos, pseudo_patient, age)


def to_chunk(
    batch: PatientBatch, changes: Changes, unindexed: frozenset[str] | set[str]
) -> list[int]:
    """Positions in the batch of the changed resources that are indexed (not the Patient:
    it is described by the summary)."""
    changed = set(changes.changed)
    out = []
    for n, (key, resource) in enumerate(batch.resources):
        rtype = str(resource.get("resourceType"))
        if key in changed and rtype != "Patient" and rtype not in unindexed:
            out.append(n)
    return out


# -- 3. scrub notes ---------------------------------------------------------------------------


def scrub_notes(
    session: PatientContext, scrubber: NoteScrubber, batch: PatientBatch, positions: Sequence[int]
) -> NoteParts:
    """The notes of the resources at ``positions``, with detected and known PHI replaced."""
    notes = [
        (batch.resources[n][0], note)
        for n in positions
        for note in note_texts(batch.resources[n][1])
    ]
    patient_notes = scrubber.for_patient(r for _, r in batch.resources)
    scrubbed = patient_notes.scrub_all(session, note_texts_at(batch, positions))
    out: NoteParts = defaultdict(list)
    for (key, note), text in zip(notes, scrubbed, strict=True):
        out[key].append((note.part, text))
    return dict(out)


def note_texts_at(batch: PatientBatch, positions: Sequence[int]) -> list[str]:
    """The note texts :func:`scrub_notes` gives the detector for ``positions``, in order
    (what a pipeline with worker processes sends them ahead)."""
    return [note.text for n in positions for note in note_texts(batch.resources[n][1])]


def scrub_notes_or_refuse(
    session: PatientContext, scrubber: NoteScrubber, batch: PatientBatch, positions: Sequence[int]
) -> tuple[NoteParts, dict[str, str]]:
    """:func:`scrub_notes`, failing closed per resource: when the detector fails
    (:class:`~clinvault.phi.DetectorFailed`), each resource's notes are scrubbed on their own
    and the resources whose notes still fail are returned (key -> PHI-free reason) with no
    note text; the caller keeps them out of the index and quarantines them."""
    try:
        return scrub_notes(session, scrubber, batch, positions), {}
    except DetectorFailed:
        notes: NoteParts = {}
        refused: dict[str, str] = {}
    for n in positions:
        try:
            notes.update(scrub_notes(session, scrubber, batch, [n]))
        except DetectorFailed as exc:
            refused[batch.resources[n][0]] = str(exc)
    return notes, refused


def without(changes: Changes, keys: Collection[str]) -> Changes:
    """``changes`` less the resources ``keys`` (refused: neither written nor replaced)."""
    kept = [
        (n, k) for n, k in zip(changes.positions, changes.changed, strict=True) if k not in keys
    ]
    return Changes(
        tuple(n for n, _ in kept),
        tuple(k for _, k in kept),
        tuple(k for k in changes.replaced if k not in keys),
        changes.unchanged,
    )


# -- 4. chunk ---------------------------------------------------------------------------------


def chunk(
    chunker: Chunker,
    patient_token: str,
    resource_tokens: Mapping[str, str],
    batch: PatientBatch,
    pseudo: Pseudonymized,
    positions: Sequence[int],
    notes: NoteParts,
) -> dict[str, list[Chunk]]:
    """Chunks by key: one per indexed resource and note passage, and the patient summary."""
    chunks: dict[str, list[Chunk]] = {}
    for n in positions:
        key = batch.resources[n][0]
        chunks[key] = chunker.resource_chunks(
            patient_token, resource_tokens[key], pseudo.resources[n], notes.get(key, [])
        )
    if pseudo.patient is not None:
        text = summary_text(patient_token, pseudo.patient, pseudo.age, list(pseudo.resources))
        chunks.setdefault(batch.patient_ref, []).append(
            chunker.summary_chunk(patient_token, resource_tokens[batch.patient_ref], text, None)
        )
    return chunks


# -- 5. gate ----------------------------------------------------------------------------------


def gate(session: PatientSession, batch: PatientBatch, chunks: Sequence[Chunk]) -> Gated:
    """The fail-closed leak gate. Values learned after a chunk was rendered (an insurer named
    in a claim read later) are first replaced in every chunk; then any chunk still holding a
    known identifier of the patient, a source id or the real birth date is refused."""
    matcher = IdentifierMatcher()
    matcher.extend(session.known_values())
    leak_gate = LeakGate(matcher, gate_values(batch), birth_dates=birth_forms(batch.patient))
    passed, refused = leak_gate.check([_rescanned(c, session) for c in chunks])
    return Gated(passed, refused)


def gate_values(batch: PatientBatch) -> list[str]:
    """Source ids that read as identifiers (with a digit: uuids, record numbers); ids such as
    ``Stroke`` or ``example`` are words."""
    return [
        k.split("/", 1)[1]
        for k, _ in batch.resources
        if "/" in k and any(ch.isdigit() for ch in k.split("/", 1)[1])
    ]


def birth_forms(raw_patient: Mapping[str, Any] | None) -> list[str]:
    if raw_patient and isinstance(raw_patient.get("birthDate"), str):
        return list(date_variants(raw_patient["birthDate"]))
    return []


def _rescanned(chunk: Chunk, session: PatientSession) -> Chunk:
    text = session.replace_known(chunk.text)
    display = session.replace_known(chunk.display) if chunk.display else chunk.display
    if text == chunk.text and display == chunk.display:
        return chunk
    return replace(chunk, text=text, display=display)


# -- 6. write ---------------------------------------------------------------------------------


def write(
    session: PatientSession,
    index: VectorIndex,
    embedder: Embedder,
    batch: PatientBatch,
    changes: Changes,
    resource_tokens: Mapping[str, str],
    chunks: Mapping[str, Sequence[Chunk]],
    passed: Sequence[Chunk],
    *,
    vectors: Sequence[Sequence[float]] | None = None,
) -> int:
    """Old chunks of replaced resources out, passed chunks in, every changed original sealed
    with the ids of its written chunks; returns the resources sealed. Runs inside the
    caller's vault transaction, which commits the session's writes. ``vectors``: the passed
    chunks' embeddings when the caller computed them (batched across patients); else the
    embedder is called here."""
    old = [resource_tokens[k] for k in changes.replaced]
    if old:
        index.delete_resources(session.patient_token, old)
    if vectors is not None and len(vectors) != len(passed):
        raise ValueError(f"{len(vectors)} vectors for {len(passed)} chunks")
    if passed:
        texts = [c.text for c in passed]
        index.upsert(
            list(passed), vectors if vectors is not None else embedder.embed_documents(texts)
        )
    passed_ids = {c.chunk_id for c in passed}
    for n in changes.positions:
        key, resource = batch.resources[n]
        ids = tuple(c.chunk_id for c in chunks.get(key, []) if c.chunk_id in passed_ids)
        session.seal(key, resource, ids)
    session.flush()
    return len(changes.positions)
