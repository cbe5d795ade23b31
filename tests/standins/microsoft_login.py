"""A loopback stand-in for Microsoft's sign-in hosts, reached the way a real `exitbot serve`
reaches them: over HTTPS through a proxy (`HTTPS_PROXY`), with certificates from a test
authority the process is told to trust (`SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`). Nothing in
ExitBot is pointed elsewhere; its SDKs call the real addresses.

What the real services do, as documented ("Authentication with the Bot Connector API",
learn.microsoft.com) and as the Agents SDK and MSAL call them:
- login.botframework.com/v1/.well-known/keys: the keys that sign what the Bot Framework
  sends a bot. A token from the Bot Framework has issuer https://api.botframework.com, the
  bot's app id as audience, an expiry (5 minutes of clock skew are allowed) and a
  `serviceurl` claim naming the connector the activity came from.
- login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration and
  .../oauth2/v2.0/token: where a bot gets its own app-only tokens (client credentials) for
  the connector (scope https://api.botframework.com/.default) and for Microsoft Graph.
Any other host is refused (502), as a proxy with nowhere to go would.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.standins.http import Loopback, Quiet, reply_json

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KEYS_HOST = "login.botframework.com"
LOGIN_HOST = "login.microsoftonline.com"
Json = dict[str, Any]


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class MicrosoftLogin(Loopback):
    signing_key: rsa.RSAPrivateKey = field(default_factory=_key)
    kid: str = "bf-key-1"
    issued: list[Json] = field(default_factory=list)  # the token requests, as posted
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _contexts: dict[str, ssl.SSLContext] = field(default_factory=dict)

    def start(self) -> None:
        self._folder = tempfile.TemporaryDirectory()
        self._ca_key = _key()
        now = dt.datetime.now(dt.UTC)
        self._ca = (
            x509.CertificateBuilder()
            .subject_name(_name("ExitBot test authority"))
            .issuer_name(_name("ExitBot test authority"))
            .public_key(self._ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._ca_key, hashes.SHA256())
        )
        self.ca_file.write_bytes(self._ca.public_bytes(serialization.Encoding.PEM))
        standin = self

        class Proxy(Quiet):
            def do_CONNECT(self) -> None:
                host = self.path.rsplit(":", 1)[0]
                if host not in (KEYS_HOST, LOGIN_HOST):
                    reply_json(self, 502, {"error": f"no route to {host}"})
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                try:
                    tls = standin._context(host).wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                Site(tls, self.client_address, self.server)
                self.close_connection = True

        class Site(Quiet):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, body = standin.handle("GET", self.headers["Host"], self.path, {})
                reply_json(self, status, body)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = dict(urllib.parse.parse_qsl(raw.decode()))
                status, body = standin.handle("POST", self.headers["Host"], self.path, form)
                reply_json(self, status, body)

        self.serve(Proxy)

    def stop(self) -> None:
        super().stop()
        self._folder.cleanup()

    @property
    def ca_file(self) -> Path:
        return Path(self._folder.name) / "authority.pem"

    def environment(self) -> dict[str, str]:
        """What a process needs to reach this stand-in instead of Microsoft."""
        return {
            "HTTPS_PROXY": self.base,
            "https_proxy": self.base,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "SSL_CERT_FILE": str(self.ca_file),
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
        }

    def _context(self, host: str) -> ssl.SSLContext:
        with self._lock:
            if host not in self._contexts:
                key = _key()
                now = dt.datetime.now(dt.UTC)
                cert = (
                    x509.CertificateBuilder()
                    .subject_name(_name(host))
                    .issuer_name(self._ca.subject)
                    .public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - dt.timedelta(days=1))
                    .not_valid_after(now + dt.timedelta(days=30))
                    .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), False)
                    .sign(self._ca_key, hashes.SHA256())
                )
                chain = Path(self._folder.name) / f"{host}.pem"
                chain.write_bytes(
                    key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                    + cert.public_bytes(serialization.Encoding.PEM)
                )
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(chain)
                self._contexts[host] = context
            return self._contexts[host]

    def handle(self, verb: str, host: str, path: str, form: Json) -> tuple[int, Json]:
        host = host.split(":")[0]
        route = urllib.parse.urlparse(path).path
        if host == KEYS_HOST and route == "/v1/.well-known/keys":
            return 200, {"keys": [self.jwk()]}
        if host == LOGIN_HOST and route.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = route.split("/")[1]
            base = f"https://{LOGIN_HOST}/{tenant}"
            return 200, {
                "issuer": f"https://{LOGIN_HOST}/{tenant}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
            }
        if host == LOGIN_HOST and route.endswith("/discovery/instance"):
            return 200, {
                "tenant_discovery_endpoint": f"https://{LOGIN_HOST}/common/v2.0/.well-known/openid-configuration",
                "metadata": [{"preferred_network": LOGIN_HOST, "aliases": [LOGIN_HOST]}],
            }
        if host == LOGIN_HOST and route.endswith("/oauth2/v2.0/token") and verb == "POST":
            if form.get("grant_type") != "client_credentials" or not form.get("client_secret"):
                return 401, {"error": "invalid_client"}
            with self._lock:
                self.issued.append({**form, "tenant": route.split("/")[1]})
            return 200, {
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": f"app-token-{form.get('scope', '').split('/')[2]}",
            }
        return 404, {"error": "not found"}

    def jwk(self) -> Json:
        public: Json = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}

    def bot_framework_token(
        self,
        app_id: str,
        service_url: str,
        *,
        expires_in: float = 3600,
        key: rsa.RSAPrivateKey | None = None,
        headers: Json | None = None,
        **claims: Any,
    ) -> str:
        """A token as the Bot Framework signs what it sends a bot."""
        now = int(time.time())
        payload = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": int(now + expires_in),
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return jwt.encode(
            payload,
            key or self.signing_key,
            algorithm="RS256",
            headers={"kid": self.kid} if headers is None else headers,
        )
