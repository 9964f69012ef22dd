"""The values no prompt about a patient may carry: their known identifiers and real dates.

Known identifiers (names, record numbers, phones, addresses ...) come from the patient's
vault context; the real birth (and death) date, in the ways notes write dates, from the
sealed Patient resource. The egress guard blocks any prompt holding one of them.
"""

from __future__ import annotations

from clinvault.vault import VaultClient
from clinvault.vault.dates import date_variants

REAL_DATE_FIELDS = ("birthDate", "deceasedDateTime")


def deny_values(vault: VaultClient, patient_token: str) -> list[str]:
    values = {known.value for known in vault.known_values(patient_token)}
    patient = vault.patient_resource(patient_token)
    for name in REAL_DATE_FIELDS:
        value = patient.get(name) if patient else None
        if isinstance(value, str):
            values.update(date_variants(value[:10]))
    return sorted(values)
