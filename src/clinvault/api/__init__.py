"""The HTTP API: ``create_app(settings)`` (FastAPI), served by ``clinvault serve``.

- ``deps``: authentication, rate limits and audited denials as ``Annotated`` dependencies
- ``chat_flow``: patient resolution, SMART scope check, conversation binding, the ask call
- ``routes``: ``/v1/chat``, ``/v1/chat/completions``, ``/v1/patients``, ``/v1/responses``,
  ``/healthz``, ``/readyz``, ``/metrics``
- ``security``: JWT verification and minting, SMART v2 scopes, verification keys
- ``middleware``, ``ratelimit``, ``logging``: request size limit, security headers, per-principal
  limits, the PHI log filter
"""

from clinvault.api.app import create_app
from clinvault.api.services import ApiServices

__all__ = ["ApiServices", "create_app"]
