"""``clinvault vault serve``: the vault app under uvicorn over HTTPS with mutual TLS.

uvicorn verifies the client certificate against the CA (``ssl_cert_reqs=CERT_REQUIRED``);
:class:`CallerProtocol` then puts the verified certificate's common name into each request's
ASGI scope (uvicorn itself does not expose the peer certificate), where the app checks it
against the allow list.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from clinvault.vault_service.app import CALLER_SCOPE_KEY
from clinvault.vault_service.certs import common_name


class CallerProtocol(H11Protocol):
    """HTTP/1.1 that tags every request with its TLS peer's certificate common name."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        peer: Any = ssl_object.getpeercert() if ssl_object is not None else None
        caller = common_name(peer.get("subject", ())) if isinstance(peer, dict) else None
        inner = self.app

        async def tagged(scope: Any, receive: Any, send: Any) -> None:
            scope = dict(scope)
            scope[CALLER_SCOPE_KEY] = caller
            await inner(scope, receive, send)

        self.app = tagged


@dataclass(frozen=True, slots=True)
class TlsFiles:
    cert: Path
    key: Path
    ca: Path


def uvicorn_config(app: Any, host: str, port: int, tls: TlsFiles) -> uvicorn.Config:
    for path in (tls.cert, tls.key, tls.ca):
        if not path.is_file():
            from clinvault.errors import ConfigError

            raise ConfigError(
                f"vault service TLS file missing: {path} (run `clinvault vault certs`)"
            )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=CallerProtocol,
        ssl_certfile=str(tls.cert),
        ssl_keyfile=str(tls.key),
        ssl_ca_certs=str(tls.ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        access_log=False,
        log_level="info",
        timeout_keep_alive=30,
    )
