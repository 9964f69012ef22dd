"""Opening an :class:`AskService` from the settings: vault, index, model, access and audit."""

from __future__ import annotations

from clinvault.access import AccessControl, AccessStore
from clinvault.ask.retrieval import Retriever
from clinvault.ask.service import AskService
from clinvault.audit import AuditLog
from clinvault.index import open_embedder, open_index
from clinvault.llm import EgressGuard, LLMClient
from clinvault.settings import Settings
from clinvault.vault import Vault


def open_ask_service(
    settings: Settings, *, llm: LLMClient | None = None, vault: Vault | None = None
) -> AskService:
    """Everything the ask pipeline needs, opened once; ``close()`` releases it all.

    ``llm`` replaces the client built from ``settings.llm`` (a ``LiteLLMClient`` with the
    egress guard); a replacement must run its own guard. ``vault`` replaces the one opened
    from the settings (the service takes it over and closes it).
    """
    if llm is None:
        from clinvault.llm.litellm_client import LiteLLMClient  # imports litellm: only here

        llm = LiteLLMClient(settings.llm, guard=EgressGuard())

    if vault is None:
        vault = Vault.open(settings)
    embedder = open_embedder(settings)
    index = open_index(settings, embedder.dimension)
    access_store = AccessStore.open(settings, vault.keys)
    audit_log = AuditLog.open(settings, vault.keys)
    return AskService(
        vault=vault,
        retriever=Retriever(embedder, index, candidates=settings.retrieval.candidates),
        llm=llm,
        access=AccessControl(access_store, audit_log),
        audit_log=audit_log,
        top_k=settings.retrieval.top_k,
        model_label=settings.llm.model,
        closers=(index.close, access_store.close, audit_log.close, vault.close),
    )
