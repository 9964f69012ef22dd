"""Access control v1: principals, roles, grants, care-team links, audited decisions.

Start at :class:`AccessControl` (``authorize``) and :class:`AccessStore` (``add_user``,
``grant``, ``revoke``, ``record_care_team``); the policy table is in :mod:`.decision`.
"""

from clinvault.access.control import AccessControl, audit_decision
from clinvault.access.decision import Decision, Reason, Relationship, decide
from clinvault.access.principal import Principal, Purpose, Role
from clinvault.access.store import AccessStore, UserSummary

__all__ = [
    "AccessControl",
    "AccessStore",
    "Decision",
    "Principal",
    "Purpose",
    "Reason",
    "Relationship",
    "Role",
    "UserSummary",
    "audit_decision",
    "decide",
]
