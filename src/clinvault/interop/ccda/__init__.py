"""C-CDA R2.1 documents translated to FHIR R4 at the edge.

    convert_file(path) / convert_bytes(data, where) -> Conversion(bundle, document_type, problems)

Parsing refuses DTDs and entities (``secure_xml``); ``sections.SECTIONS`` declares which
entry mapper (``entries``) runs for which section; ``patient`` maps recordTarget;
``narrative`` turns section text into notes; ``systems`` maps OIDs to FHIR system URIs.
Ingest reads ``.xml``/``.ccda``/``.cda`` files through ``clinvault.fhir.sources``.
"""

from clinvault.interop.ccda.document import (
    Conversion,
    NotClinicalDocument,
    convert_bytes,
    convert_file,
)

__all__ = ["Conversion", "NotClinicalDocument", "convert_bytes", "convert_file"]
