"""Server logs without PHI.

clinvault writes its own access log (one JSON line per request on the ``clinvault.access``
logger, see :class:`clinvault.api.middleware.AccessLog`): method, route template, status,
duration, request id, client address; never the concrete path or query string, which can
carry patient ids. uvicorn's own access records carry exactly those, so they are dropped.

:class:`PhiLogFilter` is the safety net for every other record (uvicorn, FastAPI, clinvault):
the message is formatted once, anything shaped like PHI (a date, a phone number, an e-mail,
a long digit run, a query string) is masked, and exception texts and tracebacks are dropped
(they may quote data); the exception's type stays. Records keep a valid shape
(``args == ()``), so any formatter still works. Request bodies and headers are never logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_MASKS = (
    re.compile(r"\?[^\s\"]*"),  # query strings
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?\b"),  # dates
    re.compile(r"\b[\w.+\-]+@[\w\-]+\.[\w.\-]+\b"),  # e-mail addresses
    re.compile(r"\(?\b\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}\b"),  # phone numbers
    re.compile(r"\b[A-Z]{0,4}\d{6,}\b"),  # record numbers and long digit runs
)
MASK = "[redacted]"
UVICORN_ACCESS = "uvicorn.access"
ACCESS_LOGGER = "clinvault.access"
LOGGER_NAMES = ("uvicorn", UVICORN_ACCESS, "uvicorn.error", "fastapi", "clinvault")


def redact(text: str) -> str:
    for pattern in _MASKS:
        text = pattern.sub(MASK, text)
    return text


class PhiLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == UVICORN_ACCESS:
            return False  # concrete path and query string; clinvault logs its own access line
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # A template that does not fit its arguments: keep neither (either may hold data).
            message = f"unformattable log record from {record.name}"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info is not None:
            # Exception texts may quote data: keep the type, drop the text and traceback.
            kind = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
            record.msg = f"{record.msg} ({kind})"
            record.exc_info = None
            record.exc_text = None
        record.stack_info = None
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


def server_log_config() -> dict[str, Any]:
    """``logging.config.dictConfig`` for ``clinvault serve`` (uvicorn's ``log_config``).

    Access lines (``clinvault.access``) go to stdout as bare JSON lines; uvicorn's and
    clinvault's other records to stderr. Every handler filters PHI, and uvicorn's own
    access records have no handler (serve also runs uvicorn with ``access_log=False``)."""
    phi = {"()": PhiLogFilter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"phi": phi},
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
                "use_colors": None,
            },
            "access": {"format": "%(message)s"},
        },
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["phi"],
            },
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["phi"],
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO", "filters": ["phi"]},
            UVICORN_ACCESS: {"handlers": [], "level": "WARNING", "propagate": False},
            "clinvault": {"handlers": ["default"], "level": "INFO", "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
