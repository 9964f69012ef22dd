"""The composition root: ``Runtime.open(settings)`` opens every part once and closes them once.

    with Runtime.open(settings) as runtime:
        runtime.ask_service().ask(user, patient, question)
        runtime.ingest_pipeline().run(paths)

The runtime owns the key ring, the vault, the embedder, the vector index, the access store,
the audit log, the PHI detector and the model client. Each part is chosen by its settings
name through its registry (``VAULT_STORES``, ``EMBEDDERS``, ``INDEXES``, ``DETECTORS``,
``LLM_CLIENTS``; an unknown name is a ``ConfigError`` listing the known ones) and opened on
first use, so ``clinvault ingest`` never builds a model client and ``clinvault ask`` never
loads the PHI detector. Everything opened is closed by :meth:`Runtime.close`, in the reverse
order of opening, also when opening a later part failed; the ask services and pipelines it
hands out only borrow the parts (closing them is the runtime's job, not theirs).

The CLI, the API (:mod:`clinvault.api.services`), the evaluation, the benchmarks and the
tests all open their parts here; nothing else opens a vault, an index or a store.

Remote mode (``vault.url`` is ``https://…``, issue 15): the process holds no master key and
no key ring; :attr:`Runtime.keys` and :attr:`Runtime.vault` refuse with a ``ConfigError``.
The audit log and the access store open with :attr:`Runtime.record_keys`, derived from the
configured records key (``vault.records_key_file`` or its env var), which remote mode
requires. Embedded (the default), the record keys are the master key's sub-keys, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack
from types import TracebackType
from typing import Self, TypeVar, cast

from clinvault.access import AccessControl, AccessStore
from clinvault.ask.retrieval import Retriever
from clinvault.ask.service import AskService
from clinvault.audit import AuditLog
from clinvault.clock import Clock, RandomBytes, system_random
from clinvault.errors import ConfigError
from clinvault.index import open_embedder, open_index
from clinvault.index.base import Embedder, VectorIndex
from clinvault.ingest.care_team import CareTeamRecorder
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.keys import KeyRing, RecordKeys, records_key_configured
from clinvault.llm import LLMClient
from clinvault.llm.clients import open_llm_client
from clinvault.phi import PhiDetector, build_detector
from clinvault.settings import Settings
from clinvault.vault import Vault, VaultClient
from clinvault.vault_service.remote import RemoteVaultClient, VaultScreen, is_remote_vault

T = TypeVar("T")

VaultOpener = Callable[[Settings, KeyRing, Clock | None, RandomBytes], Vault]
"""Opens the vault from the settings with the runtime's key ring (default: :meth:`Vault.open`)."""


def _open_vault(
    settings: Settings, keys: KeyRing, clock: Clock | None, random: RandomBytes
) -> Vault:
    return Vault.open(settings, keys=keys, clock=clock, random=random)


class Runtime:
    """Everything a clinvault process works with, opened from one ``Settings``.

    Build it with :meth:`open`; use it as a context manager (or call :meth:`close`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        llm: LLMClient | None = None,
        clock: Clock | None = None,
        random: RandomBytes | None = None,
        vault_opener: VaultOpener = _open_vault,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._random = random or system_random()
        self._llm = llm
        self._vault_opener = vault_opener
        self._stack = ExitStack()
        self._parts: dict[str, object] = {}
        self._closed = False
        self.index_lock = threading.Lock()
        """Serializes reads of the one in-process index across request threads (API)."""

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        llm: LLMClient | None = None,
        clock: Clock | None = None,
        random: RandomBytes | None = None,
        vault_opener: VaultOpener = _open_vault,
    ) -> Runtime:
        """Load the key ring now (a missing or bad master key fails here); the other parts
        open on first use.

        ``llm`` replaces the client ``llm.client`` names (tests, the evaluation's recording
        wrapper); the ask services still run the egress guard in front of it. ``random``
        seeds the master key (when the key file is created) and the vault (tokens, date
        offsets) only: the access store and the audit log draw their own, so seeded vault
        output does not depend on how many grants or audit records were written.
        ``vault_opener`` is for the evaluation's privacy ablation only."""
        runtime = cls(settings, llm=llm, clock=clock, random=random, vault_opener=vault_opener)
        try:
            if is_remote_vault(settings):  # loaded eagerly: a key problem surfaces at start
                runtime.record_keys  # noqa: B018
            else:
                runtime.keys  # noqa: B018
        except BaseException:
            runtime.close()
            raise
        return runtime

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every opened part, last opened first; every closer runs even if one fails
        (the first failure is raised after the rest are closed)."""
        self._closed = True
        self._parts.clear()
        self._stack.close()

    # -- the parts, each opened once on first use --------------------------------------------

    def _part(self, name: str, opener: Callable[[], T], closer: Callable[[T], None] | None) -> T:
        if self._closed:
            raise RuntimeError("the runtime is closed")
        if name in self._parts:
            part: T = self._parts[name]  # type: ignore[assignment]
            return part
        opened = opener()
        if closer is not None:
            self._stack.callback(closer, opened)
        self._parts[name] = opened
        return opened

    @property
    def keys(self) -> KeyRing:
        """The deployment's key ring (the master key file is created on first use); a
        ``ConfigError`` in remote mode, where only the vault service holds the master key."""
        if is_remote_vault(self.settings):
            raise ConfigError("this process holds no master key: vault.url names a vault service")
        return self._part("keys", lambda: KeyRing.load(self.settings, self._random), None)

    @property
    def record_keys(self) -> RecordKeys:
        """The audit log's and access store's keys: from the records key when one is
        configured (required in remote mode), else the key ring's."""
        return self._part("record_keys", self._open_record_keys, None)

    def _open_record_keys(self) -> RecordKeys:
        if records_key_configured(self.settings):
            return RecordKeys.load(self.settings)
        if is_remote_vault(self.settings):
            raise ConfigError(
                "vault.url names a vault service, so this process holds no master key: set "
                f"vault.records_key_file or {self.settings.vault.records_key_env} for its "
                "audit log and access store"
            )
        return self.keys.records

    @property
    def vault(self) -> Vault:
        """The in-process vault; a ``ConfigError`` when ``vault.url`` names a vault service
        (this process then holds no vault: use :attr:`vault_client`)."""
        if is_remote_vault(self.settings):
            raise ConfigError(
                "this command needs the in-process vault, but vault.url names a vault service"
            )
        return self._part(
            "vault",
            lambda: self._vault_opener(self.settings, self.keys, self._clock, self._random),
            Vault.close,
        )

    @property
    def vault_client(self) -> VaultClient:
        """The vault as a :class:`VaultClient`: the vault service (mutual TLS) when
        ``vault.url`` is ``https://…``, else the in-process vault."""
        if is_remote_vault(self.settings):
            return self._part(
                "vault_client",
                lambda: RemoteVaultClient.open(self.settings),
                RemoteVaultClient.close,
            )
        return self.vault

    @property
    def embedder(self) -> Embedder:
        return self._part("embedder", lambda: open_embedder(self.settings.index.embedder), None)

    @property
    def index(self) -> VectorIndex:
        embedder = self.embedder
        return self._part(
            "index",
            lambda: open_index(self.settings.index_section, embedder.dimension),
            _close_index,
        )

    @property
    def access_store(self) -> AccessStore:
        return self._part(
            "access_store",
            lambda: AccessStore.open(self.settings.access_url, self.record_keys, clock=self._clock),
            AccessStore.close,
        )

    @property
    def audit_log(self) -> AuditLog:
        return self._part(
            "audit_log",
            lambda: AuditLog.open(self.settings, self.record_keys, clock=self._clock),
            AuditLog.close,
        )

    @property
    def access(self) -> AccessControl:
        store, audit = self.access_store, self.audit_log
        over_consent = self.settings.access.break_glass_over_consent
        return self._part(
            "access",
            lambda: AccessControl(store, audit, break_glass_over_consent=over_consent),
            None,
        )

    @property
    def llm(self) -> LLMClient:
        """The model client: the one given to :meth:`open`, else the one ``llm.client`` names."""
        given = self._llm
        return self._part("llm", (lambda: given) if given is not None else self._open_llm, None)

    def _open_llm(self) -> LLMClient:
        return open_llm_client(self.settings.llm)

    @property
    def detector(self) -> PhiDetector | None:
        """The free-text PHI detector, or ``None`` when ``ingest.detect_phi`` is off."""
        if not self.settings.ingest.detect_phi:
            return None
        return self._part("detector", lambda: build_detector(self.settings.phi), None)

    # -- what the runtime hands out -----------------------------------------------------------

    def retriever(self) -> Retriever:
        return Retriever(self.embedder, self.index, candidates=self.settings.retrieval.candidates)

    def ask_service(
        self,
        *,
        retriever: Retriever | None = None,
        service: type[AskService] = AskService,
    ) -> AskService:
        """An ask service over the runtime's parts. Cheap: it only borrows them, so the API
        builds one per request with a retriever scoped to the token's SMART scopes.
        ``service`` is for the evaluation's privacy ablation only. Against a vault service,
        Consent and the prompt's screen for real values come from the service."""
        client = self.vault_client
        checks = VaultScreen(client) if isinstance(client, RemoteVaultClient) else None
        return service(
            # AskService is typed with the in-process Vault; it calls VaultClient methods
            # (and consent_resources), which RemoteVaultClient serves too
            vault=cast(Vault, client),
            retriever=retriever or self.retriever(),
            llm=self.llm,
            access=self.access,
            audit_log=self.audit_log,
            top_k=self.settings.retrieval.top_k,
            model_label=self.settings.llm.model,
            checks=checks,
        )

    def ingest_pipeline(
        self,
        *,
        notes: NoteScrubber | None = None,
        pipeline: type[IngestPipeline] = IngestPipeline,
    ) -> IngestPipeline:
        """The ingestion pipeline over the runtime's vault, index and access store.
        ``notes``: a note scrubber instead of the one over the configured detector (the
        CLI's worker-process detector, the Ray span table, the evaluation's privacy
        ablation); ``pipeline``: for the ablation only."""
        return pipeline(
            settings=self.settings,
            vault=self.vault,
            embedder=self.embedder,
            index=self.index,
            notes=notes if notes is not None else NoteScrubber(self.detector),
            care_team=CareTeamRecorder(self.access_store),
        )


def _close_index(index: VectorIndex) -> None:
    index.close()
