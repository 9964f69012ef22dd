"""``clinvault mllp serve``: receive HL7 v2 messages over MLLP into the vault and the index.

Each message is ACKed AA only after it is sealed and indexed; see
``clinvault.interop.mllp``. Stops on Ctrl-C or SIGTERM after the message in flight.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
from typing import TYPE_CHECKING, Annotated

import typer

from clinvault.cli.context import err, load_settings, reported_errors
from clinvault.errors import ConfigError
from clinvault.settings import Settings

if TYPE_CHECKING:
    from clinvault.interop.mllp.handler import MessageHandler

app = typer.Typer(help="HL7 v2 over MLLP (a live interface-engine feed).", no_args_is_help=True)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port, printed)")] = 2575,
) -> None:
    """Listen for MLLP connections; ACK each message after it is sealed and indexed."""
    settings = load_settings()
    from clinvault.interop.mllp.handler import MessageHandler
    from clinvault.runtime import Runtime

    with reported_errors(), Runtime.open(settings) as runtime:
        handler = MessageHandler(runtime)
        try:
            asyncio.run(_serve(handler, host, port, settings))
        finally:
            handler.close()


async def _serve(handler: MessageHandler, host: str, port: int, settings: Settings) -> None:
    from clinvault.interop.mllp.server import MllpServer

    section = settings.hl7v2
    server = MllpServer(handler, host, port, section.mllp_max_message_bytes, _tls(settings))
    stop, ready = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(server.serve(stop, ready))
    await ready.wait()
    scheme = "mllps" if server.tls else "mllp"
    err.print(f"listening on {scheme}://{host}:{server.bound_port}", highlight=False)
    await task
    err.print("stopped", highlight=False)


def _tls(settings: Settings) -> ssl.SSLContext | None:
    section = settings.hl7v2
    if section.mllp_tls_cert is None and section.mllp_tls_key is None:
        return None
    if section.mllp_tls_cert is None or section.mllp_tls_key is None:
        raise ConfigError("hl7v2.mllp_tls_cert and hl7v2.mllp_tls_key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(section.mllp_tls_cert, section.mllp_tls_key)
    except (OSError, ssl.SSLError):
        raise ConfigError("hl7v2.mllp_tls_cert/mllp_tls_key cannot be loaded") from None
    return context


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="mllp")
