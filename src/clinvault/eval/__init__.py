"""The evaluation harness: datasets, the runner (the chat service's ask path), metrics,
reports and the privacy ablation (``clinvault.eval.ablation``, synthetic cohorts only).

Nothing in the API, the ask or ingest packages imports this package (an import contract,
``.importlinter``, run by ``make lint``)."""
