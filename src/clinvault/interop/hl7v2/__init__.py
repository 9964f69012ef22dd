"""HL7 v2 messages (2.3-2.8) to FHIR R4 Bundles.

    from clinvault.interop.hl7v2 import Converter, Options
    result = Converter(Options()).convert_text(raw_bytes, where="adt.hl7")
    result.conversions[0].bundle      # {"resourceType": "Bundle", "type": "transaction", ...}
    result.errors                     # Hl7ParseError / Hl7MappingError, naming segment and field

Layout: ``parser`` (tolerant splitter: batches, separators, escapes), ``message`` (the
parsed tree), ``validation`` (hl7apy structure check), ``datatypes`` (v2 -> FHIR types),
``tables`` + ``mappings/*.toml`` (declarative family tables and vocabularies),
``segments/`` (one module per clinical area), ``convert`` (message -> Bundle).
"""

from clinvault.interop.hl7v2.context import Options
from clinvault.interop.hl7v2.convert import BatchConversion, Conversion, Converter
from clinvault.interop.hl7v2.errors import Hl7MappingError, Hl7ParseError
from clinvault.interop.hl7v2.parser import looks_like_hl7, parse_batch, parse_message

__all__ = [
    "BatchConversion",
    "Conversion",
    "Converter",
    "Hl7MappingError",
    "Hl7ParseError",
    "Options",
    "looks_like_hl7",
    "parse_batch",
    "parse_message",
]
