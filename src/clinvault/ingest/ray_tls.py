"""Development certificates for Ray's mutual TLS (docker-compose ``ray`` profile).

Ray checks a peer's certificate against the address it dialled, and Ray nodes dial each other
by IP, so every node needs a certificate naming its own addresses, known only once it runs.

    python -m clinvault.ingest.ray_tls ca DIR            # DIR/ca.crt, DIR/ca.key (once)
    python -m clinvault.ingest.ray_tls node CA_CRT CA_KEY OUT_DIR
        # OUT_DIR/node.crt, node.key for this host's name and addresses (at container start)

Production: issue node certificates from your own CA (cert-manager or similar) instead.
"""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clinvault.private_files import private_dir, private_file

VALID_DAYS = 365


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(
    folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> None:
    private_dir(folder)
    (folder / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private_file(folder / f"{stem}.key").write_bytes(_pem_key(key))  # created 0600


def new_ca(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("clinvault ray dev CA"))
        .issuer_name(_name("clinvault ray dev CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write(folder, "ca", cert, key)


def host_names() -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of this host: its name, its resolved addresses, the address
    Ray advertises for the node, loopback. A name that does not resolve is an error."""
    host = socket.gethostname()
    addresses = {"127.0.0.1"}
    addresses |= {str(info[4][0]) for info in socket.getaddrinfo(host, None, socket.AF_INET)}
    if importlib.util.find_spec("ray") is not None:
        import ray.util

        addresses.add(str(ray.util.get_node_ip_address()))  # type: ignore[no-untyped-call]
    return sorted({host, "localhost"}), sorted(addresses)


def node_cert(ca_cert: Path, ca_key: Path, folder: Path) -> None:
    ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    signer = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
    if not isinstance(signer, ec.EllipticCurvePrivateKey):
        raise SystemExit(f"{ca_key}: not the EC key of a CA made by 'ray_tls ca'")
    names, addresses = host_names()
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    alt: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alt += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(signer, hashes.SHA256())
    )
    _write(folder, "node", cert, key)


def main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "ca":
        new_ca(Path(argv[1]))
        return 0
    if len(argv) == 4 and argv[0] == "node":
        node_cert(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
