"""The question-answering pipeline: authorize, retrieve, answer, cite, re-identify, audit.

Start at :class:`AskService` (``ask``) and :func:`open_ask_service`; modules:

- ``intents``: what a question asks for (latest value, trend, a list of records, a lookup)
- ``concepts``: a small built-in map of common labs and vitals to LOINC codes
- ``retrieval``: patient-filtered hybrid search plus date-ordered "latest"/"trend"/list reads
- ``citations``: ``[n]`` markers checked against the evidence, mapped to resource tokens
- ``deny_values``: the patient's real identifier values and dates, for the egress guard
- ``audit_events``: the ``ask`` audit record of every outcome
- ``result``: ``AskResult`` and ``AnswerCitation``
- ``factory``: ``open_ask_service(settings)``
"""

from clinvault.ask.factory import open_ask_service
from clinvault.ask.result import AnswerCitation, AskResult
from clinvault.ask.service import AskService

__all__ = ["AnswerCitation", "AskResult", "AskService", "open_ask_service"]
