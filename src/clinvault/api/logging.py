"""A log filter that keeps PHI out of server logs.

Access-log lines keep method, path and status but lose the query string; any record whose
message still contains something shaped like PHI (a value token's source, a date, a phone
number, an e-mail, a long digit run) has it masked. Request bodies and headers are never
logged by clinvault; this filter is the safety net for third-party loggers (uvicorn).
"""

from __future__ import annotations

import logging
import re

_MASKS = (
    re.compile(r"\?[^\s\"]*"),  # query strings
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?\b"),  # dates
    re.compile(r"\b[\w.+\-]+@[\w\-]+\.[\w.\-]+\b"),  # e-mail addresses
    re.compile(r"\(?\b\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}\b"),  # phone numbers
    re.compile(r"\b[A-Z]{0,4}\d{6,}\b"),  # record numbers and long digit runs
)
MASK = "[redacted]"
LOGGER_NAMES = ("uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", "clinvault")


def redact(text: str) -> str:
    for pattern in _MASKS:
        text = pattern.sub(MASK, text)
    return text


class PhiLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info is not None:
            # Exception texts may quote data: keep the type, drop the text and traceback.
            kind = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
            record.msg = f"{record.msg} ({kind})"
            record.exc_info = None
            record.exc_text = None
        return True


def install_phi_filter(names: tuple[str, ...] = LOGGER_NAMES) -> PhiLogFilter:
    """Attach one filter to the named loggers and their handlers (idempotent per logger)."""
    phi_filter = PhiLogFilter()
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PhiLogFilter) for f in logger.filters):
            logger.addFilter(phi_filter)
        for handler in logger.handlers:
            if not any(isinstance(f, PhiLogFilter) for f in handler.filters):
                handler.addFilter(phi_filter)
    return phi_filter
