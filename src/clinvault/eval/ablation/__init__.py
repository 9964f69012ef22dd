"""The privacy ablation (synthetic cohorts only): the same evaluation with pseudonymization
on and off, so the utility cost of privacy is a number. See :mod:`.run`."""
