"""Conversations: a thread of turns bound to one principal and one patient.

A conversation id is random and opaque; presenting it under another principal or for another
patient is refused (``conversation-not-bound``). Patient tokens are keyed by the patient, so
they are the same in every turn. Kept in process, bounded (oldest dropped first).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from clinvault.api.errors import FORBIDDEN, ApiError


@dataclass
class Conversation:
    conversation_id: str
    principal: str
    patient_token: str
    response_ids: list[str] = field(default_factory=list)


class ConversationStore:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Conversation] = OrderedDict()

    def bind(self, conversation_id: str | None, principal: str, patient_token: str) -> Conversation:
        """The conversation to continue (checked against its binding), or a new one."""
        with self._lock:
            if conversation_id is None:
                return self._new(principal, patient_token)
            found = self._items.get(conversation_id)
            if found is None:
                raise ApiError(404, "conversation-unknown", "no such conversation")
            if found.principal != principal or found.patient_token != patient_token:
                raise ApiError(
                    FORBIDDEN,
                    "conversation-not-bound",
                    "this conversation belongs to another principal or patient",
                )
            self._items.move_to_end(conversation_id)
            return found

    def record(self, conversation: Conversation, response_id: str) -> None:
        with self._lock:
            conversation.response_ids.append(response_id)

    def _new(self, principal: str, patient_token: str) -> Conversation:
        conversation = Conversation(
            "CNV-" + secrets.token_hex(16).upper(), principal, patient_token
        )
        self._items[conversation.conversation_id] = conversation
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return conversation
