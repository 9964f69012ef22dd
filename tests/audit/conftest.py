"""Audit fixtures: a deterministic log on each SQL backend (``sql_engine``)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from clinvault.audit import AuditLog

from .audit_factories import make_log


@pytest.fixture
def audit_log(sql_engine: Engine) -> AuditLog:
    return make_log(sql_engine)
