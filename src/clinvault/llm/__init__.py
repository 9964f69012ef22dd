"""The LLM layer: prompt building, the egress guard, the offline evidence model, litellm client.

Typical use by the ask pipeline::

    client = LiteLLMClient(settings.llm, guard=EgressGuard())
    messages = build_messages(question, chunks)
    result = client.complete(messages, deny_values=known_values_of_this_patient)

Importing this package does not import litellm; the client and provider modules do.
"""

from clinvault.llm.base import LLMClient, LLMResult, LLMStream, Message, PromptGuard, Usage
from clinvault.llm.egress import EgressGuard
from clinvault.llm.prompt import EvidenceItem, build_messages, parse_evidence

__all__ = [
    "EgressGuard",
    "EvidenceItem",
    "LLMClient",
    "LLMResult",
    "LLMStream",
    "Message",
    "PromptGuard",
    "Usage",
    "build_messages",
    "parse_evidence",
]
