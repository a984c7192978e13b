"""An OpenID Connect provider in a thread on 127.0.0.1: discovery, token (checking the code, the client's
secret and the PKCE verifier), userinfo and JWKS, with an RSA key made for the test. No network."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "coopsurvey-test"
CLIENT_SECRET = "test-secret-of-the-client"
CODE = "code-from-the-provider"


class FakeProvider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.claims: dict[str, Any] = {}
        self.challenges: list[str] = []  # the PKCE challenges of authorization requests, set by the test
        self.token_requests: list[dict[str, list[str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings_entry(self, provider_id: str = "uni", **extra: Any) -> dict[str, Any]:
        return {
            "id": provider_id,
            "name": "University of Testing",
            "client_id": CLIENT_ID,
            "secret": CLIENT_SECRET,
            "server_url": self.url,
            "link_by_email": True,
            **extra,
        }

    def id_token(self) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **self.claims}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "test-key"})

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": "test-key", "use": "sig", "alg": "RS256"}]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": provider.url,
                            "authorization_endpoint": f"{provider.url}/authorize",
                            "token_endpoint": f"{provider.url}/token",
                            "userinfo_endpoint": f"{provider.url}/userinfo",
                            "jwks_uri": f"{provider.url}/jwks",
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        },
                    )
                elif self.path == "/jwks":
                    self._json(200, provider.jwks())
                elif self.path == "/userinfo":
                    if self.headers.get("Authorization") != "Bearer access-token-1":
                        self._json(401, {"error": "invalid_token"})
                    else:
                        self._json(200, provider.claims)
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                provider.token_requests.append(form)
                verifier = form.get("code_verifier", [""])[0]
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                good = (
                    self.path == "/token"
                    and form.get("code") == [CODE]
                    and form.get("client_id") == [CLIENT_ID]
                    and form.get("client_secret") == [CLIENT_SECRET]
                    and challenge in provider.challenges
                )
                if not good:
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(
                    200,
                    {
                        "access_token": "access-token-1",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(),
                    },
                )

        return Handler
