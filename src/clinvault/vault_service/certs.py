"""Development PKI for the vault service: one CA, a server certificate, client certificates.

``clinvault vault certs`` writes them into ``CLINVAULT_HOME/certs`` (directory 0700, every
file 0600). The client certificate's common name is the caller's service identity (``api``,
``ingest``), which the vault checks against its allow list. Production deployments bring
their own PKI and point the settings at it; these certificates are for development only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clinvault.private_files import private_dir, private_file

VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class CertPaths:
    """Where one certificate and its key live."""

    cert: Path
    key: Path


@dataclass(frozen=True, slots=True)
class DevPki:
    """The files ``make_dev_pki`` wrote."""

    ca: CertPaths
    server: CertPaths
    clients: dict[str, CertPaths]


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "clinvault development"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    private_file(path)
    os.chmod(path, 0o600)
    path.write_bytes(data)


def _write(paths: CertPaths, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    _write_private(paths.cert, cert.public_bytes(serialization.Encoding.PEM))
    _write_private(
        paths.key,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _issue(
    cn: str,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_name: x509.Name,
    usage: x509.ObjectIdentifier,
    now: dt.datetime,
    sans: list[x509.GeneralName],
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def make_dev_pki(
    directory: Path,
    *,
    server_names: tuple[str, ...] = ("localhost", "vault", "127.0.0.1"),
    clients: tuple[str, ...] = ("api", "ingest"),
    now: dt.datetime | None = None,
) -> DevPki:
    """A CA, a server certificate for ``server_names`` (DNS names or IP addresses) and one
    client certificate per caller name, written 0600 under ``directory`` (made 0700)."""
    private_dir(directory)
    moment = now or dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("clinvault development CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
        .not_valid_after(moment + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca = CertPaths(directory / "ca.crt", directory / "ca.key")
    _write(ca, ca_cert, ca_key)
    sans: list[x509.GeneralName] = []
    for name in server_names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    server = CertPaths(directory / "server.crt", directory / "server.key")
    _write(
        server,
        *_issue(server_names[0], ca_key, ca_name, ExtendedKeyUsageOID.SERVER_AUTH, moment, sans),
    )
    issued: dict[str, CertPaths] = {}
    for caller in clients:
        paths = CertPaths(directory / f"client-{caller}.crt", directory / f"client-{caller}.key")
        _write(paths, *_issue(caller, ca_key, ca_name, ExtendedKeyUsageOID.CLIENT_AUTH, moment, []))
        issued[caller] = paths
    return DevPki(ca=ca, server=server, clients=issued)


def common_name(subject: tuple[tuple[tuple[str, str], ...], ...]) -> str | None:
    """The commonName of a peer certificate's subject as ``ssl.SSLSocket.getpeercert`` gives
    it, or ``None``."""
    for rdn in subject:
        for key, value in rdn:
            if key == "commonName":
                return value
    return None
