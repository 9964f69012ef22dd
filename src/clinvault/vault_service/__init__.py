"""The vault as its own service: the only process holding the master key and the vault DB.

- :mod:`.certs`: a development CA and server/client certificates (``clinvault vault certs``).
- :mod:`.wire`: the plain-data JSON encoding both sides share (values, errors).
- :mod:`.app`: the FastAPI app (narrow API mirroring :class:`~clinvault.vault.VaultClient`,
  caller identity from the client certificate, size and rate limits, health, audit).
- :mod:`.server`: uvicorn over HTTPS with mutual TLS (``clinvault vault serve``).
- :mod:`.remote`: :class:`RemoteVaultClient`, the ``VaultClient`` over that API.
"""
