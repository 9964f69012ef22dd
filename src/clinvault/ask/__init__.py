"""The question-answering pipeline: authorize, retrieve, answer, cite, re-identify, audit.

Start at :class:`AskService` (``ask``); :meth:`clinvault.runtime.Runtime.ask_service` builds
one over the configured parts. Modules:

- ``intents``: what a question asks for (latest value, trend, a list of records, a lookup)
- ``concepts``: a small built-in map of common labs and vitals to LOINC codes
- ``retrieval``: patient-filtered hybrid search plus date-ordered "latest"/"trend"/list reads
- ``citations``: ``[n]`` markers checked against the evidence, mapped to resource tokens
- ``deny_values``: the patient's real identifier values and dates, for the egress guard
- ``audit_events``: the ``ask`` audit record of every outcome
- ``result``: ``AskResult`` and ``AnswerCitation``
- ``outcomes``: the one exception -> outcome map (audit reason, HTTP status, eval status)
"""

from clinvault.ask.result import AnswerCitation, AskResult
from clinvault.ask.service import AskService

__all__ = ["AnswerCitation", "AskResult", "AskService"]
