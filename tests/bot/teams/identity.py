"""A local stand-in for Microsoft's identity endpoints, at the HTTP level: the Bot Framework's OpenID metadata
and signing keys (JWKS) that incoming tokens are checked against, and an Entra-style token endpoint (over
HTTPS, as MSAL insists) that issues the bot's outgoing token. Tests mint real JWTs with keys made here."""
from __future__ import annotations

import datetime
import ipaddress
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ISSUER = "https://api.botframework.com"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str, endorsements: list[str]) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", "endorsements": endorsements}


def tls_files(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the test trusts it through REQUESTS_CA_BUNDLE)."""
    key = rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "identity.pem", folder / "identity.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Identity:
    """Publishes `published` keys; counts metadata, key and token requests."""

    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    private: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    base: str = ""
    hang: bool = False

    def key(self, kid: str, *, publish: bool = True, endorsements: tuple[str, ...] = ("msteams",)) -> str:
        self.private[kid] = rsa_key()
        if publish:
            self.published[kid] = jwk(self.private[kid], kid, list(endorsements))
        return kid

    def token(self, kid: str, *, app_id: str, service_url: str, expires_in: int = 3600, issuer: str = ISSUER,
              algorithm: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": issuer, "aud": app_id, "serviceurl": service_url, "iat": now - 10, "nbf": now - 10,
                "exp": now + expires_in, **claims}
        key: Any = self.private[kid] if algorithm.startswith("RS") else "a-shared-secret-of-at-least-32-bytes!"
        return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})

    async def metadata(self, request: web.Request) -> web.Response:
        self.requests.append("metadata")
        if self.hang:
            import asyncio

            await asyncio.sleep(3600)
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.base}/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def keys(self, request: web.Request) -> web.Response:
        self.requests.append("keys")
        return web.json_response({"keys": list(self.published.values())})

    async def tenant_metadata(self, request: web.Request) -> web.Response:
        """MSAL's tenant discovery for the login endpoint."""
        base = f"https://{request.host}/adfs"
        return web.json_response({"issuer": base, "authorization_endpoint": f"{base}/oauth2/authorize",
                                  "token_endpoint": f"{base}/oauth2/token"})

    async def issue(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append("token")
        assert form.get("grant_type") == "client_credentials"
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                                  "access_token": f"app-token-{self.requests.count('token')}"})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/openid", self.metadata)
        app.router.add_get("/keys", self.keys)
        app.router.add_get("/adfs/.well-known/openid-configuration", self.tenant_metadata)
        app.router.add_post("/adfs/oauth2/token", self.issue)
        return app
