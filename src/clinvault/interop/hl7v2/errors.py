"""HL7 v2 errors. Messages name the segment, field and message position, never a value."""

from __future__ import annotations

from clinvault.errors import InputError


class Hl7ParseError(InputError):
    """A message cannot be read: no MSH, bad encoding characters, bad segment name...

    ``segment`` and ``field`` (1-based, 0 when unknown) feed an ACK's ERR segment.
    ``code`` is an HL7 table 0357 error code (100 segment sequence error, 101 required
    field missing, 102 data type error, 200 unsupported message type, 207 application error).
    """

    def __init__(
        self, message: str, *, where: str = "", segment: str = "", field: int = 0, code: str = "102"
    ) -> None:
        self.segment = segment
        self.field = field
        self.code = code
        super().__init__(message, where=where)


class Hl7MappingError(Hl7ParseError):
    """A readable message that cannot be mapped (unsupported type, missing PID ...)."""
