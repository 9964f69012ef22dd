"""Measuring a PHI detector against annotated text: precision, recall and F2.

Datasets: presidio-research's synthetic PII set (:mod:`.presidio_research`) and cohorts
written by ``clinvault synth`` (:mod:`.synth_cohort`). Metrics are token-level
(:mod:`.metrics` explains the choice).
"""
