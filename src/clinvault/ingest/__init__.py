"""Ingestion: FHIR (and, through ``clinvault.interop``, HL7 v2 and C-CDA) into the vault and
the pseudonymized index. :class:`clinvault.ingest.pipeline.IngestPipeline` composes the
stages of :mod:`clinvault.ingest.stages`; :meth:`clinvault.runtime.Runtime.ingest_pipeline`
builds one over the configured parts."""
