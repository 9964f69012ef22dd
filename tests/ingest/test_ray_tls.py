"""Development certificates for Ray's mutual TLS: a node certificate is signed by the dev CA
and names this host's addresses (Ray dials nodes by IP), its key is private."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from clinvault.ingest.ray_tls import host_names, main


def test_node_certificate_is_signed_by_the_ca_for_this_hosts_addresses(tmp_path: Path) -> None:
    assert main(["ca", str(tmp_path / "ca")]) == 0
    ca_crt, ca_key = tmp_path / "ca" / "ca.crt", tmp_path / "ca" / "ca.key"
    assert main(["node", str(ca_crt), str(ca_key), str(tmp_path / "node")]) == 0

    ca = x509.load_pem_x509_certificate(ca_crt.read_bytes())
    node = x509.load_pem_x509_certificate((tmp_path / "node" / "node.crt").read_bytes())
    node.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    alt = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names, addresses = host_names()
    assert set(alt.get_values_for_type(x509.DNSName)) == set(names)
    assert set(alt.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address(a) for a in addresses
    }
    assert ipaddress.ip_address("127.0.0.1") in alt.get_values_for_type(x509.IPAddress)
    assert isinstance(node.public_key(), ec.EllipticCurvePublicKey)
    for key in (ca_key, tmp_path / "node" / "node.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_usage_without_the_right_arguments(tmp_path: Path) -> None:
    assert main([]) == 2
    assert main(["node", str(tmp_path)]) == 2
