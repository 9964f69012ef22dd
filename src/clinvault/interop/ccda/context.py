"""Per-document conversion state: stable resource ids, the patient reference, narrative ids.

Ids are derived, never random, so converting the same document twice gives the same
resources and re-ingest writes nothing: ``sha256(document id | kind | entry ids)`` shaped
as a UUID (the document id is its ``ClinicalDocument/id`` with a digest of its bytes, see
``document.py``); when an entry has no id, or its id was already used in this document (samples
often repeat one id on nested acts), its position in the document is used instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def stable_id(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


@dataclass
class Context:
    document_key: str
    patient_id: str
    narrative: dict[str, str]
    document_date: str | None = None
    authors: list[dict[str, str]] = field(default_factory=list)
    """References to the document's author Practitioners (every note's ``author``)."""
    resources: list[dict[str, Any]] = field(default_factory=list)
    _used: set[str] = field(default_factory=set)
    _statements: set[str] = field(default_factory=set)
    _added: set[str] = field(default_factory=set)

    @property
    def patient_ref(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient_id}"}

    def new_id(self, kind: str, id_keys: list[str], position: str) -> str:
        """A stable id for the ``kind`` resource of an entry with ``id_keys`` at ``position``."""
        if id_keys:
            key = f"{kind}|{'|'.join(id_keys)}"
            if key not in self._used:
                self._used.add(key)
                return stable_id(self.document_key, key)
        key = f"{kind}@{position}"
        self._used.add(key)
        return stable_id(self.document_key, key)

    def repeated(self, kind: str, id_keys: list[str], signature: str) -> bool:
        """True when this document already gave a ``kind`` resource for the same clinical
        statement: same ids and same ``signature`` (code, times, value, dose, lot), one act
        quoted in two sections. Ids alone are not enough: sample documents copy one id onto
        different statements (two vital-sign panels of different days)."""
        if not id_keys:
            return False
        key = f"{kind}|{'|'.join(id_keys)}|{signature}"
        if key in self._statements:
            return True
        self._statements.add(key)
        return False

    def has(self, reference: str) -> bool:
        """True when ``Type/id`` is already in this document's Bundle."""
        return reference in self._added

    def add(self, resource: dict[str, Any]) -> dict[str, Any]:
        self.resources.append(resource)
        self._added.add(f"{resource['resourceType']}/{resource['id']}")
        return resource
