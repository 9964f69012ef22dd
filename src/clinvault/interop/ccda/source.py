"""The C-CDA entry of ``clinvault.fhir.sources.FORMATS``: a file in, its Bundle out.

``bundles(path)`` yields the one ``(where, Bundle)`` pair of a document; it raises
``NotClinicalDocument`` (a ``NotThisFormat``: skipped with a notice) for XML that is not a
C-CDA document and ``InputError`` for refused or unreadable XML (DTD, entities, malformed).
Resources that fail R4B validation stay in the Bundle: the ingest validates every resource
and quarantines those, like any FHIR input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clinvault.errors import InputError
from clinvault.interop.ccda.document import convert_file


def bundles(path: Path) -> Iterator[tuple[str, dict[str, Any]] | InputError]:
    yield str(path), convert_file(path).bundle
