"""Keys, secrets, digests and signatures: the server's cryptography in one place.

A C1 client secret is `secret-token:conductorone.com:v1:` + base64url (no padding) of the JSON Web
Key of an Ed25519 private key, as C1 issues them and as its Go SDK insists on. It *is* the private
key: the server keeps only a passlib digest of it (for client_secret_post) and the public key (for
private_key_jwt).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from passlib.context import CryptContext

from .ids import Random

SECRET_PREFIX = "secret-token:conductorone.com:v1:"  # noqa: S105
_RAW = (Encoding.Raw, PublicFormat.Raw)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key(random: Random) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(random.bytes(32))


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The raw public key, base64url: what the database keeps of a client's key."""
    return b64url(key.public_key().public_bytes(*_RAW))


def load_public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(b64url_decode(text))


def private_key_text(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    return b64url(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def load_private_key(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(b64url_decode(text))


def _secret(public: str, private: str) -> str:
    """The C1 client secret for a key's public and private parts (base64url)."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": public, "d": private}
    return SECRET_PREFIX + b64url(json.dumps(jwk, separators=(",", ":")).encode())


def decode_secret(secret: str) -> Ed25519PrivateKey | None:
    """The private key inside a C1 client secret, or None when it is not one."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 512:
        return None
    try:
        jwk = json.loads(b64url_decode(secret[len(SECRET_PREFIX) :]))
        if not isinstance(jwk, dict) or (jwk.get("kty"), jwk.get("crv")) != ("OKP", "Ed25519"):
            return None
        key = load_private_key(str(jwk["d"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if "x" in jwk and jwk["x"] != public_key_text(key):
        return None
    return key


def new_secret(random: Random) -> tuple[str, str]:
    """A fresh client secret and its public key text (every mint makes one: the key's bytes
    are its private part, and its public part is computed once)."""
    private = random.bytes(32)
    public = public_key_text(Ed25519PrivateKey.from_private_bytes(private))
    return _secret(public, b64url(private)), public


# --- digests ---------------------------------------------------------------------------------


@cache
def crypt_context(scheme: str, rounds: int | None) -> CryptContext:
    """The passlib context for stored secret digests (scheme and cost are settings)."""
    options: dict[str, Any] = {"schemes": [scheme]}
    if rounds is not None and scheme in {"pbkdf2_sha256", "pbkdf2_sha512", "sha256_crypt"}:
        options[f"{scheme}__rounds"] = rounds
    elif rounds is not None and scheme == "bcrypt":
        options["bcrypt__rounds"] = rounds
    elif rounds is not None and scheme == "argon2":
        options["argon2__rounds"] = rounds
    return CryptContext(**options)


def hash_secret(context: CryptContext, secret: str) -> str:
    digest: str = context.hash(secret)
    return digest


def verify_secret(context: CryptContext, secret: str, digest: str) -> bool:
    """Constant-time in the secret (passlib compares digests with hmac.compare_digest)."""
    try:
        return bool(context.verify(secret, digest))
    except (ValueError, TypeError):
        return False


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
