"""The LLM layer: prompt building, the egress guard, the offline evidence model, litellm client.

Typical use by the ask pipeline::

    client = GuardedLLM(open_llm_client(settings.llm), EgressGuard())   # clients, guarded
    messages = build_messages(question, chunks)
    result = client.complete(messages, deny_values=known_values_of_this_patient)

The ask service builds the ``GuardedLLM`` itself around whatever client it is given; the
client is chosen by ``llm.client`` from ``clients.LLM_CLIENTS``; route planning (which
routes, in which order, with which defaults) is in ``route_plan`` and ``routes``.
Importing this package does not import litellm; the client and provider modules do.
"""

from clinvault.llm.base import LLMClient, LLMResult, LLMStream, Message, PromptGuard, Usage
from clinvault.llm.egress import EgressGuard
from clinvault.llm.guarded import GuardedLLM
from clinvault.llm.prompt import EvidenceItem, build_messages, parse_evidence

__all__ = [
    "EgressGuard",
    "EvidenceItem",
    "GuardedLLM",
    "LLMClient",
    "LLMResult",
    "LLMStream",
    "Message",
    "PromptGuard",
    "Usage",
    "build_messages",
    "parse_evidence",
]
