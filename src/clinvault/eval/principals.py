"""The users an evaluation asks as, created in the access store if missing.

``clinician`` holds a grant for every evaluated patient; ``other-clinician`` holds none;
``revoked-clinician`` had grants that were revoked; ``researcher`` sees pseudonyms only;
``unknown-user`` is never created.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinvault.access import AccessStore

EVAL_USERS = {
    "clinician": "eval-clinician",
    "other-clinician": "eval-other-clinician",
    "revoked-clinician": "eval-revoked-clinician",
    "researcher": "eval-researcher",
    "unknown-user": "eval-nobody",
}


def prepare_principals(store: AccessStore, patients: Iterable[str]) -> None:
    roles = {
        "clinician": "clinician",
        "other-clinician": "clinician",
        "revoked-clinician": "clinician",
        "researcher": "researcher",
    }
    for asker, role in roles.items():
        if store.principal(EVAL_USERS[asker]) is None:
            store.add_user(EVAL_USERS[asker], role)
    for patient in sorted(set(patients)):
        store.grant(EVAL_USERS["clinician"], patient)
        store.grant(EVAL_USERS["revoked-clinician"], patient)
        store.revoke(EVAL_USERS["revoked-clinician"], patient)
