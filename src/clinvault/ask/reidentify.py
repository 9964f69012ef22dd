"""Turning a checked answer into what the principal may see.

Principals allowed to re-identify get real values, real dates and ``Type/id`` citations
(the patient's vault context is opened once per answer). Everyone else gets the answer as
the model wrote it (tokens, shifted dates) and resource tokens as citations.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinvault.ask.citations import CitationCheck, CitedChunk
from clinvault.ask.result import AnswerCitation
from clinvault.errors import PrivacyError
from clinvault.vault import VaultClient


@dataclass(frozen=True, slots=True)
class Presented:
    answer: str
    citations: list[AnswerCitation]
    uncited_statements: list[str]


def pseudonymous(check: CitationCheck) -> Presented:
    citations = [_citation(c, c.chunk.resource, c.chunk.date) for c in check.cited]
    return Presented(check.answer, citations, list(check.uncited_statements))


def reidentified(vault: VaultClient, patient: str, check: CitationCheck) -> Presented:
    citations = []
    for cited in check.cited:
        found = vault.source_reference(cited.chunk.resource)
        if found is None or found[0] != patient:
            raise PrivacyError("a cited resource is not in this patient's vault; answer withheld")
        date = cited.chunk.date
        real_date = vault.reidentify(patient, date, resolve_resources=False) if date else None
        citations.append(_citation(cited, found[1], real_date))
    return Presented(
        vault.reidentify(patient, check.answer),
        citations,
        [vault.reidentify(patient, s) for s in check.uncited_statements],
    )


def _citation(cited: CitedChunk, reference: str, date: str | None) -> AnswerCitation:
    chunk = cited.chunk
    return AnswerCitation(
        cited.n, chunk.chunk_id, chunk.resource, reference, chunk.resource_type, date
    )
