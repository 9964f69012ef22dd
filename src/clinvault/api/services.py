"""Everything the API serves from, opened once per app: vault, index, model, access, audit.

``ApiServices.ask_service(access)`` builds a request-scoped :class:`AskService` (cheap: it
only holds references) whose retriever is limited to the token's SMART resource types.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from clinvault.access import AccessControl, AccessStore
from clinvault.api.scoped_retriever import ScopedRetriever
from clinvault.api.security.jwt import TokenVerifier, dev_secret_from_audit_key
from clinvault.api.security.keys import key_resolver_for
from clinvault.api.security.scopes import ResourceAccess
from clinvault.ask import AskService
from clinvault.audit import AuditLog
from clinvault.index import open_embedder, open_index
from clinvault.index.base import Embedder, VectorIndex
from clinvault.llm import EgressGuard, LLMClient
from clinvault.settings import Settings
from clinvault.vault import Vault


@dataclass
class ApiServices:
    settings: Settings
    vault: Vault
    embedder: Embedder
    index: VectorIndex
    access_store: AccessStore
    access: AccessControl
    audit: AuditLog
    llm: LLMClient
    verifier: TokenVerifier
    index_lock: threading.Lock = field(default_factory=threading.Lock)

    def ask_service(self, access: ResourceAccess) -> AskService:
        retriever = ScopedRetriever(
            self.embedder,
            self.index,
            access=access,
            lock=self.index_lock,
            candidates=self.settings.retrieval.candidates,
        )
        return AskService(
            vault=self.vault,
            retriever=retriever,
            llm=self.llm,
            access=self.access,
            audit_log=self.audit,
            top_k=self.settings.retrieval.top_k,
            model_label=self.settings.llm.model,
        )

    def close(self) -> None:
        self.index.close()
        self.access_store.close()
        self.audit.close()
        self.vault.close()


def open_api_services(settings: Settings, *, llm: LLMClient | None = None) -> ApiServices:
    if llm is None:
        from clinvault.llm.litellm_client import LiteLLMClient  # imports litellm: only here

        llm = LiteLLMClient(settings.llm, guard=EgressGuard())
    vault = Vault.open(settings)
    embedder = open_embedder(settings)
    index = open_index(settings, embedder.dimension)
    access_store = AccessStore.open(settings, vault.keys)
    audit = AuditLog.open(settings, vault.keys)
    return ApiServices(
        settings=settings,
        vault=vault,
        embedder=embedder,
        index=index,
        access_store=access_store,
        access=AccessControl(access_store, audit),
        audit=audit,
        llm=llm,
        verifier=verifier_for(settings, vault),
    )


def verifier_for(settings: Settings, vault: Vault) -> TokenVerifier:
    return TokenVerifier(
        settings.auth,
        hmac_secret=hs256_secret(settings, vault),
        key_resolver=key_resolver_for(settings.auth),
    )


def hs256_secret(settings: Settings, vault: Vault) -> bytes | None:
    if "HS256" not in settings.auth.algorithms:
        return None
    configured = settings.auth.hs256_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    return dev_secret_from_audit_key(vault.keys.audit)
