"""A small OpenID Connect issuer for the OIDC tests, run as its own process on loopback.

    python tests/api/oidc_issuer.py --user dr-grey=clinician --audience clinvault-api

Prints ``listening <port>`` once it serves. Keys are made and tokens signed with authlib
(``authlib.jose``); the HTTP side is the standard library's threading server.

- ``GET /.well-known/openid-configuration``: the discovery document (issuer, jwks_uri, ...)
- ``GET /jwks``: the published public keys
- ``POST /token``: the resource-owner password grant (form ``grant_type=password``,
  ``username``, ``client_id``): an RS256 access token for a known user, with the role claim
  and SMART scopes the API expects, signed with the current key
- test controls (``/admin/...``): ``rotate`` (a new signing key; ``{"drop_old": true}``
  withdraws the others from the JWKS), ``sign`` (any claims, signed with the current key or
  with a key never published), ``stats`` (how often discovery and the JWKS were fetched)
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

warnings.simplefilter("ignore")  # authlib.jose warns that it points to joserfc now

from authlib.jose import JsonWebKey, jwt  # noqa: E402


class Issuer:
    def __init__(self, url: str, audience: str, users: dict[str, str], role_claim: str) -> None:
        self.url = url
        self.audience = audience
        self.users = users
        self.role_claim = role_claim
        self.lock = threading.Lock()
        self.keys: list[Any] = [self._new_key()]
        self.hits = {"discovery": 0, "jwks": 0, "token": 0}

    @staticmethod
    def _new_key() -> Any:
        kid = uuid.uuid4().hex[:16]
        return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/jwks",
            "token_endpoint": f"{self.url}/token",
            "response_types_supported": ["code", "token"],
            "grant_types_supported": ["password"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "user/*.rs", "patient/*.rs"],
        }

    def jwks(self) -> dict[str, Any]:
        with self.lock:
            published = list(self.keys)
        keys = []
        for key in published:
            public = key.as_dict(is_private=False)
            public.update({"use": "sig", "alg": "RS256"})
            keys.append(public)
        return {"keys": keys}

    def rotate(self, drop_old: bool) -> str:
        key = self._new_key()
        with self.lock:
            self.keys = [key] if drop_old else [key, *self.keys]
        return str(key.as_dict()["kid"])

    def sign(self, claims: dict[str, Any], *, unpublished: bool = False) -> str:
        if unpublished:
            key = self._new_key()
        else:
            with self.lock:
                key = self.keys[0]
        header = {"alg": "RS256", "typ": "JWT", "kid": key.as_dict()["kid"]}
        token: bytes = jwt.encode(header, claims, key)
        return token.decode()

    def access_token(self, user: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": self.audience,
            "sub": user,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "scope": "user/*.rs",
            self.role_claim: self.users[user],
        }
        return self.sign(claims)


def handler_for(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                issuer.hits["discovery"] += 1
                self._send(200, issuer.discovery())
            elif self.path == "/jwks":
                issuer.hits["jwks"] += 1
                self._send(200, issuer.jwks())
            elif self.path == "/admin/stats":
                self._send(200, dict(issuer.hits))
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if self.path == "/token":
                form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                user = form.get("username", "")
                if form.get("grant_type") != "password" or user not in issuer.users:
                    self._send(400, {"error": "invalid_grant"})
                    return
                issuer.hits["token"] += 1
                self._send(
                    200,
                    {
                        "access_token": issuer.access_token(user),
                        "token_type": "Bearer",
                        "expires_in": 300,
                    },
                )
            elif self.path == "/admin/rotate":
                request = json.loads(self._body() or b"{}")
                self._send(200, {"kid": issuer.rotate(bool(request.get("drop_old")))})
            elif self.path == "/admin/sign":
                request = json.loads(self._body())
                token = issuer.sign(request["claims"], unpublished=bool(request.get("unpublished")))
                self._send(200, {"token": token})
            else:
                self._send(404, {"error": "not_found"})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", action="append", default=[], help="name=role")
    parser.add_argument("--audience", default="clinvault-api")
    parser.add_argument("--role-claim", default="clinvault_role")
    args = parser.parse_args()
    users = dict(entry.split("=", 1) for entry in args.user)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    issuer = Issuer(f"http://127.0.0.1:{port}", args.audience, users, args.role_claim)
    server.RequestHandlerClass = handler_for(issuer)
    print(f"listening {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
