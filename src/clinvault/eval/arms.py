"""How the runner opens its runtime and ask service: one ``Arm`` per privacy setting.

:data:`PSEUDONYMIZED` is the production path (``Runtime.open``, its ask service with the
egress guard, its ingest pipeline with the leak gate) and the runner's default. The privacy
ablation's other arm lives in ``clinvault.eval.ablation`` and can only be built for a
verified synthetic cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from clinvault.ask import AskService
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.llm import LLMClient
from clinvault.runtime import Runtime
from clinvault.settings import Settings


class Arm(Protocol):
    @property
    def name(self) -> str: ...

    def open_runtime(self, settings: Settings, llm: LLMClient | None) -> Runtime: ...

    def ask_service(self, runtime: Runtime) -> AskService: ...

    def ingest_pipeline(self, runtime: Runtime) -> IngestPipeline: ...


@dataclass(frozen=True)
class Pseudonymized:
    name: str = "pseudonymized"

    def open_runtime(self, settings: Settings, llm: LLMClient | None) -> Runtime:
        return Runtime.open(settings, llm=llm)

    def ask_service(self, runtime: Runtime) -> AskService:
        return runtime.ask_service()

    def ingest_pipeline(self, runtime: Runtime) -> IngestPipeline:
        return runtime.ingest_pipeline()


PSEUDONYMIZED = Pseudonymized()
