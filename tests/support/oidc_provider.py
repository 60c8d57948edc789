"""A loopback OIDC provider for the tests: a JWKS endpoint and a token endpoint on
127.0.0.1, over real HTTP, with keys made by `cryptography`. Keys can be added, retired and
signed with, to rotate them the way a provider does (publish first, sign with it later)."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISSUER_PATH = "/realms/lazy"
MAKERS = {
    "RS256": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
              RSAAlgorithm),
    "ES256": (lambda: ec.generate_private_key(ec.SECP256R1()), ECAlgorithm),
    "EdDSA": (ed25519.Ed25519PrivateKey.generate, OKPAlgorithm),
}


class LoopbackProvider:
    def __init__(self, audience: str = "lazyconfig"):
        self.audience = audience
        self.private: dict[str, tuple[str, Any]] = {}  # kid: (alg, private key)
        self.published: list[str] = []
        self.signing_kid: str | None = None
        self.jwks_requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.base + ISSUER_PATH

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/protocol/openid-connect/certs"

    def start(self) -> "LoopbackProvider":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_key(self, alg: str = "EdDSA", publish: bool = True, sign: bool = False) -> str:
        kid = f"{alg}-{uuid.uuid4().hex[:8]}"
        self.private[kid] = (alg, MAKERS[alg][0]())
        if publish:
            self.published.append(kid)
        if sign:
            self.signing_kid = kid
        return kid

    def retire(self, kid: str) -> None:
        self.published.remove(kid)

    def jwks(self) -> dict:
        keys = []
        for kid in self.published:
            alg, private = self.private[kid]
            jwk = json.loads(MAKERS[alg][1].to_jwk(private.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": alg})
        return {"keys": keys}

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.audience, "sub": str(uuid.uuid4()),
                  "preferred_username": "dana", "groups": ["cfg-editors"], "iat": now,
                  "exp": now + 300, "jti": str(uuid.uuid4())}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, kid: str | None = None, headers: dict | None = None, **overrides) -> str:
        """A token signed with `kid` (default: the signing key), claims as `claims()`."""
        kid = kid or self.signing_kid
        alg, private = self.private[kid]
        return jwt.encode(self.claims(**overrides), private, algorithm=alg,
                          headers={"kid": kid, **(headers or {})})

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != ISSUER_PATH + "/protocol/openid-connect/certs":
                    return self._send(404, {})
                provider.jwks_requests += 1
                self._send(200, provider.jwks())

            def do_POST(self):  # the token endpoint: a token for whoever asks
                if self.path != ISSUER_PATH + "/protocol/openid-connect/token":
                    return self._send(404, {})
                self._send(200, {"access_token": provider.token(), "token_type": "Bearer"})

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass
        return Handler
