"""Turning a checked answer into what the principal may see.

Principals allowed to re-identify get real values, real dates and ``Type/id`` citations;
everyone else gets the answer as the model wrote it (tokens, shifted dates) and resource
tokens as citations. The re-identification is one :meth:`VaultClient.reveal` call per answer
carrying the answer's response id and who asks (:class:`RevealRequest`): in process the
vault trusts the ask service's decision; a vault service checks it again against the access
store and Consent, audits it in its own chain and returns that record's reference, which
the ask's audit record keeps (``vault_audit_ref``).
"""

from __future__ import annotations

from dataclasses import dataclass

from clinvault.access import Decision
from clinvault.ask.citations import CitationCheck, CitedChunk
from clinvault.ask.result import AnswerCitation
from clinvault.errors import PrivacyError
from clinvault.vault import VaultClient
from clinvault.vault.client import RevealRequest


@dataclass(frozen=True, slots=True)
class Presented:
    answer: str
    citations: list[AnswerCitation]
    uncited_statements: list[str]
    vault_audit_ref: str | None = None
    """The vault service's audit record of the re-identification (remote vault only)."""


def reveal_request(
    response_id: str, principal: str, purpose: str, decision: Decision
) -> RevealRequest:
    """What a vault service checks before it re-identifies an answer for ``principal``."""
    if decision.role is None:
        raise PrivacyError("re-identification needs a principal with a role; answer withheld")
    return RevealRequest(
        response_id=response_id,
        principal=principal,
        role=decision.role.value,
        purpose=purpose,
        break_glass_reason=decision.break_glass_reason if decision.break_glass else None,
    )


def pseudonymous(check: CitationCheck) -> Presented:
    citations = [_citation(c, c.chunk.resource, c.chunk.date) for c in check.cited]
    return Presented(check.answer, citations, list(check.uncited_statements))


def reidentified(
    vault: VaultClient, patient: str, check: CitationCheck, request: RevealRequest
) -> Presented:
    references = []
    for cited in check.cited:
        found = vault.source_reference(cited.chunk.resource)
        if found is None or found[0] != patient:
            raise PrivacyError("a cited resource is not in this patient's vault; answer withheld")
        references.append(found[1])
    dated = [(i, c.chunk.date) for i, c in enumerate(check.cited) if c.chunk.date]
    statements = list(check.uncited_statements)
    texts = [check.answer, *statements, *(date for _, date in dated)]
    revealed = vault.reveal(patient, texts, request=request)
    if len(revealed.texts) != len(texts):
        raise PrivacyError("the vault re-identified a different number of texts; answer withheld")
    answer, rest = revealed.texts[0], revealed.texts[1:]
    real_statements, real_dates = list(rest[: len(statements)]), rest[len(statements) :]
    dates: dict[int, str] = {i: real for (i, _), real in zip(dated, real_dates, strict=True)}
    citations = [
        _citation(cited, reference, dates.get(i))
        for i, (cited, reference) in enumerate(zip(check.cited, references, strict=True))
    ]
    return Presented(answer, citations, real_statements, revealed.audit_ref)


def _citation(cited: CitedChunk, reference: str, date: str | None) -> AnswerCitation:
    chunk = cited.chunk
    return AnswerCitation(
        cited.n, chunk.chunk_id, chunk.resource, reference, chunk.resource_type, date
    )
