"""Access fixtures: a store and an audit log on each SQL backend (``sql_engine``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from clinvault.access import AccessControl, AccessStore
from clinvault.audit import AuditLog
from clinvault.clock import FixedClock, seeded_random
from clinvault.keys import KeyRing

KEYS = KeyRing.from_master(bytes(range(32)))


@pytest.fixture
def store(sql_engine: Engine) -> AccessStore:
    access = AccessStore(
        sql_engine,
        KEYS,
        clock=FixedClock(datetime(2024, 3, 1, tzinfo=UTC)),
        random=seeded_random(3),
    )
    access.create_schema()
    return access


@pytest.fixture
def audit_log(sql_engine: Engine) -> AuditLog:
    log = AuditLog(sql_engine, KEYS.audit, random=seeded_random(4))
    log.create_schema()
    return log


@pytest.fixture
def control(store: AccessStore, audit_log: AuditLog) -> AccessControl:
    return AccessControl(store, audit_log)
