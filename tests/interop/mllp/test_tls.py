"""MLLP over TLS: certificate paths from settings (``hl7v2.mllp_tls_cert/key``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clinvault.cli.mllp import _tls
from clinvault.errors import ConfigError
from clinvault.interop.mllp.framing import END, START
from clinvault.interop.mllp.handler import MessageHandler
from clinvault.interop.mllp.server import MllpServer
from clinvault.settings import Settings
from tests.interop.mllp.conftest import msa, oru


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "mllp.pem", folder / "mllp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_mllp_over_tls(fast: Settings, handler: MessageHandler, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    settings = fast.model_copy(
        update={"hl7v2": fast.hl7v2.model_copy(update={"mllp_tls_cert": cert, "mllp_tls_key": key})}
    )
    server_context = _tls(settings)
    assert server_context is not None
    client_context = ssl.create_default_context(cafile=str(cert))

    async def scenario() -> bytes:
        server = MllpServer(handler, "127.0.0.1", 0, tls=server_context)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(server.serve(stop, ready))
        await ready.wait()
        assert server.bound_port
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.bound_port, ssl=client_context, server_hostname="localhost"
        )
        writer.write(START + oru("T1") + END)
        await writer.drain()
        ack = await reader.readuntil(END)
        writer.close()
        stop.set()
        await task
        return ack.strip(START + END)

    assert msa(asyncio.run(scenario())) == ["AA", "T1"]


def test_a_certificate_without_its_key_is_a_config_error(fast: Settings, tmp_path: Path) -> None:
    cert, _ = _certificate(tmp_path)
    settings = fast.model_copy(
        update={"hl7v2": fast.hl7v2.model_copy(update={"mllp_tls_cert": cert})}
    )
    with pytest.raises(ConfigError):
        _tls(settings)
