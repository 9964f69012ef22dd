"""The values no prompt about a patient may carry: their known identifiers and real dates.

Known identifiers (names, record numbers, phones, addresses ...) come from the patient's
vault context; the real birth (and death) date, in the ways notes write dates, from the
sealed Patient resource. The egress guard blocks any prompt holding one of them.
"""

from __future__ import annotations

from clinvault.vault import PatientContext, Vault
from clinvault.vault.dates import date_variants

REAL_DATE_FIELDS = ("birthDate", "deceasedDateTime")


def deny_values(vault: Vault, ctx: PatientContext) -> list[str]:
    values = {known.value for known in ctx.known_values()}
    for row in vault.store.resources_of(ctx.patient_token):
        if row.resource_type != "Patient":
            continue
        patient = vault.open_resource(ctx, row)
        for name in REAL_DATE_FIELDS:
            value = patient.get(name)
            if isinstance(value, str):
                values.update(date_variants(value[:10]))
    return sorted(values)
