"""Code systems and identifier systems: CDA OIDs to FHIR system URIs, as one table.

``system_uri(oid)`` gives the FHIR URI of a known OID and ``urn:oid:<oid>`` otherwise
(a UUID root becomes ``urn:uuid:<uuid>``), so no code ever loses its system.
"""

from __future__ import annotations

import re
from types import MappingProxyType

OID_TO_URI = MappingProxyType(
    {
        "2.16.840.1.113883.6.96": "http://snomed.info/sct",
        "2.16.840.1.113883.6.1": "http://loinc.org",
        "2.16.840.1.113883.6.88": "http://www.nlm.nih.gov/research/umls/rxnorm",
        "2.16.840.1.113883.12.292": "http://hl7.org/fhir/sid/cvx",
        "2.16.840.1.113883.6.59": "http://hl7.org/fhir/sid/cvx",
        "2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
        "2.16.840.1.113883.6.3": "http://hl7.org/fhir/sid/icd-10",
        "2.16.840.1.113883.6.103": "http://hl7.org/fhir/sid/icd-9-cm",
        "2.16.840.1.113883.6.104": "http://hl7.org/fhir/sid/icd-9-cm",
        "2.16.840.1.113883.6.12": "http://www.ama-assn.org/go/cpt",
        "2.16.840.1.113883.6.285": "urn:oid:2.16.840.1.113883.6.285",
        "2.16.840.1.113883.6.69": "http://hl7.org/fhir/sid/ndc",
        "2.16.840.1.113883.6.8": "http://unitsofmeasure.org",
        "2.16.840.1.113883.6.238": "urn:oid:2.16.840.1.113883.6.238",
        "2.16.840.1.113883.6.101": "http://nucc.org/provider-taxonomy",
        "2.16.840.1.113883.6.259": "https://www.cdc.gov/nhsn/cdaportal/terminology/codesystem/hsloc.html",
        "2.16.840.1.113883.4.9": "http://fdasis.nlm.nih.gov",
        "2.16.840.1.113883.3.26.1.5": "http://ndfrt.info",
        "2.16.840.1.113883.5.1": "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender",
        "2.16.840.1.113883.5.2": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
        "2.16.840.1.113883.5.4": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "2.16.840.1.113883.5.83": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "2.16.840.1.113883.5.111": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
        "2.16.840.1.113883.5.112": "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
        "2.16.840.1.113883.5.1063": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "2.16.840.1.113883.5.8": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
        "2.16.840.1.113883.4.1": "http://hl7.org/fhir/sid/us-ssn",
        "2.16.840.1.113883.4.6": "http://hl7.org/fhir/sid/us-npi",
    }
)
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
SSN_OID = "2.16.840.1.113883.4.1"


def system_uri(root: str) -> str:
    """The FHIR system for a CDA ``codeSystem`` or ``id/@root``."""
    known = OID_TO_URI.get(root)
    if known is not None:
        return known
    if UUID.match(root):
        return f"urn:uuid:{root.lower()}"
    if OID.match(root):
        return f"urn:oid:{root}"
    return root if ":" in root else f"urn:oid:{root}"
