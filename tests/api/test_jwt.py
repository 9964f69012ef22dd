"""Token verification without the app: RS256/ES256 keys, algorithm confusion, config checks."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from clinvault.api.security.jwt import TokenRejected, TokenVerifier
from clinvault.api.security.keys import key_resolver_for
from clinvault.api.security.scopes import parse_scopes
from clinvault.errors import ConfigError
from clinvault.settings import AuthSettings


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "https://idp.example",
        "aud": "clinvault-api",
        "sub": "dr-grey",
        "iat": now,
        "exp": now + 300,
        "scope": "user/*.rs",
    }
    claims.update(changes)
    return claims


def _public_pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _verifier(tmp_path: Path, pem: bytes, algorithms: list[str]) -> TokenVerifier:
    path = tmp_path / "idp.pem"
    path.write_bytes(pem)
    settings = AuthSettings(
        issuer="https://idp.example",
        algorithms=algorithms,
        public_key_file=path,
    )
    return TokenVerifier(settings, key_resolver=key_resolver_for(settings))


def test_rs256_with_configured_public_key(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = _verifier(tmp_path, _public_pem(rsa_key), ["RS256"])
    claims = verifier.verify(jwt.encode(_claims(), rsa_key, algorithm="RS256"))
    assert claims.subject == "dr-grey"


def test_es256_with_configured_public_key(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    verifier = _verifier(tmp_path, _public_pem(key), ["ES256"])
    assert verifier.verify(jwt.encode(_claims(), key, algorithm="ES256")).subject == "dr-grey"


def test_public_key_used_as_hmac_secret_is_rejected(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem = _public_pem(rsa_key)
    verifier = _verifier(tmp_path, pem, ["RS256"])
    header = {"alg": "HS256", "typ": "JWT"}
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(_claims()).encode())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(TokenRejected) as raised:
        verifier.verify(f"{signing_input}.{b64(signature)}")
    assert raised.value.reason == "token-algorithm-rejected"


def test_token_signed_by_another_key_is_rejected(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = _verifier(tmp_path, _public_pem(rsa_key), ["RS256"])
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenRejected) as raised:
        verifier.verify(jwt.encode(_claims(), other, algorithm="RS256"))
    assert raised.value.reason == "token-bad-signature"


def test_mixing_hmac_and_public_key_algorithms_is_a_config_error(tmp_path: Path) -> None:
    settings = AuthSettings(algorithms=["HS256", "RS256"])
    with pytest.raises(ConfigError):
        TokenVerifier(settings, hmac_secret=b"s" * 32, key_resolver=lambda _t, _a: None)


def test_short_hmac_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        TokenVerifier(AuthSettings(), hmac_secret=b"short")


def test_private_key_file_is_refused(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    private_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ConfigError):
        _verifier(tmp_path, private_pem, ["RS256"])


def test_missing_subject_is_rejected() -> None:
    verifier = TokenVerifier(AuthSettings(issuer="https://idp.example"), hmac_secret=b"s" * 32)
    claims = _claims()
    del claims["sub"]
    with pytest.raises(TokenRejected) as raised:
        verifier.verify(jwt.encode(claims, b"s" * 32, algorithm="HS256"))
    assert raised.value.reason == "token-claim-missing"


@pytest.mark.parametrize(
    ("scopes", "patient", "launch", "expected"),
    [
        (["user/*.rs"], "Patient/a", None, None),
        (["patient/*.rs"], "Patient/a", "Patient/a", None),
        (["patient/*.rs"], "Patient/a", "Patient/b", frozenset()),
        (
            ["user/Observation.rs", "user/Condition.read"],
            "Patient/a",
            None,
            frozenset({"Observation", "Condition"}),
        ),
        (["user/Observation.cud"], "Patient/a", None, frozenset()),
        (["user/Observation.rs?category=laboratory"], "Patient/a", None, frozenset()),
        (["openid", "fhirUser", "launch/patient"], "Patient/a", None, frozenset()),
    ],
)
def test_smart_scopes(
    scopes: list[str], patient: str, launch: str | None, expected: frozenset[str] | None
) -> None:
    assert parse_scopes(scopes).access_for(patient, launch).types == expected
