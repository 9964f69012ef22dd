"""What the API serves from: a :class:`~clinvault.runtime.Runtime` and the token verifier.

``ApiServices.ask_service(access)`` builds a request-scoped :class:`AskService` (cheap: it
only borrows the runtime's parts) whose retriever is limited to the token's SMART resource
types. The runtime opens and closes everything; this module opens nothing itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from clinvault.access import AccessControl, AccessStore
from clinvault.api.scoped_retriever import ScopedRetriever
from clinvault.api.security.jwt import TokenVerifier, dev_secret_from_audit_key
from clinvault.api.security.keys import key_resolver_for
from clinvault.api.security.scopes import ResourceAccess
from clinvault.ask import AskService
from clinvault.audit import AuditLog
from clinvault.index.base import Embedder, VectorIndex
from clinvault.keys import RecordKeySource
from clinvault.llm import LLMClient
from clinvault.runtime import Runtime
from clinvault.settings import AuthSettings, Settings
from clinvault.vault import VaultClient


@dataclass
class ApiServices:
    runtime: Runtime
    verifier: TokenVerifier

    @classmethod
    def open(cls, settings: Settings, *, llm: LLMClient | None = None) -> ApiServices:
        """A runtime with every part the API uses opened now (a broken index or model route
        fails at startup, not on the first request); ``llm`` replaces the configured client."""
        runtime = Runtime.open(settings, llm=llm)
        try:
            runtime.vault_client, runtime.index, runtime.access, runtime.llm  # noqa: B018
            return cls(runtime, verifier_for(settings.auth, runtime.record_keys))
        except BaseException:
            runtime.close()
            raise

    def ask_service(self, access: ResourceAccess) -> AskService:
        retriever = ScopedRetriever(
            self.embedder,
            self.index,
            access=access,
            lock=self.index_lock,
            candidates=self.settings.retrieval.candidates,
        )
        return self.runtime.ask_service(retriever=retriever)

    def close(self) -> None:
        self.runtime.close()

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def vault(self) -> VaultClient:
        return self.runtime.vault_client

    @property
    def embedder(self) -> Embedder:
        return self.runtime.embedder

    @property
    def index(self) -> VectorIndex:
        return self.runtime.index

    @property
    def index_lock(self) -> threading.Lock:
        return self.runtime.index_lock

    @property
    def access_store(self) -> AccessStore:
        return self.runtime.access_store

    @property
    def access(self) -> AccessControl:
        return self.runtime.access

    @property
    def audit(self) -> AuditLog:
        return self.runtime.audit_log

    @property
    def llm(self) -> LLMClient:
        return self.runtime.llm


def verifier_for(auth: AuthSettings, keys: RecordKeySource) -> TokenVerifier:
    return TokenVerifier(
        auth, hmac_secret=hs256_secret(auth, keys), key_resolver=key_resolver_for(auth)
    )


def hs256_secret(auth: AuthSettings, keys: RecordKeySource) -> bytes | None:
    if "HS256" not in auth.algorithms:
        return None
    configured = auth.hs256_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    return dev_secret_from_audit_key(keys.audit)
