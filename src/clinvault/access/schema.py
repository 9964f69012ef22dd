"""Access tables (SQLAlchemy Core). No plaintext: names and references are stored as a
blind index (HMAC, for look-ups) plus an AES-GCM ciphertext (for listing)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, ForeignKey, LargeBinary, MetaData, String, Table

BLIND = String(64)


@dataclass(frozen=True)
class AccessTables:
    metadata: MetaData
    principals: Table
    grants: Table
    care_team: Table


def access_tables() -> AccessTables:
    metadata = MetaData()
    principals = Table(
        "access_principals",
        metadata,
        Column("user_bidx", BLIND, primary_key=True),
        Column("user_sealed", LargeBinary, nullable=False),
        Column("role", String(16), nullable=False),
        Column("practitioner_bidx", BLIND, index=True),
        Column("practitioner_sealed", LargeBinary),
        Column("created_at", String(32), nullable=False),
    )
    grants = Table(
        "access_grants",
        metadata,
        Column(
            "user_bidx",
            BLIND,
            ForeignKey("access_principals.user_bidx", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("patient_bidx", BLIND, primary_key=True),
        Column("patient_sealed", LargeBinary, nullable=False),
        Column("granted_at", String(32), nullable=False),
    )
    care_team = Table(
        "access_care_team",
        metadata,
        Column("patient_bidx", BLIND, primary_key=True),
        Column("practitioner_bidx", BLIND, primary_key=True),
    )
    return AccessTables(metadata, principals, grants, care_team)
