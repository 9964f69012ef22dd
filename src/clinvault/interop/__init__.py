"""Legacy formats translated to FHIR R4 at the edge: ``hl7v2`` (messages, MLLP feed) and ``ccda``."""
