"""How the runner opens the vault and the ask service: one ``Arm`` per privacy setting.

:data:`PSEUDONYMIZED` is the production path (``Vault.open``, ``open_ask_service``, the egress
guard) and the runner's default. The privacy ablation's other arm lives in
``clinvault.eval.ablation`` and can only be built for a verified synthetic cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from clinvault.ask import AskService, open_ask_service
from clinvault.llm import EgressGuard, LLMClient, PromptGuard
from clinvault.settings import Settings
from clinvault.vault import Vault


class Arm(Protocol):
    @property
    def name(self) -> str: ...

    def open_vault(self, settings: Settings) -> Vault: ...

    def open_service(self, settings: Settings, llm: LLMClient) -> AskService: ...

    def guard(self) -> PromptGuard:
        """The egress guard of the default LLM client."""


@dataclass(frozen=True)
class Pseudonymized:
    name: str = "pseudonymized"

    def open_vault(self, settings: Settings) -> Vault:
        return Vault.open(settings)

    def open_service(self, settings: Settings, llm: LLMClient) -> AskService:
        return open_ask_service(settings, llm=llm)

    def guard(self) -> PromptGuard:
        return EgressGuard()


PSEUDONYMIZED = Pseudonymized()
