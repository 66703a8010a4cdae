"""Tokens the local stack's gateway takes: `stack.py up` keeps its JWT keys in `.local/jwt/`
(an HS256 secret, RS256 and ES256 private keys), and tests sign their own with them."""

import os
import time
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parents[2]
JWT_DIR = ROOT / ".local" / "jwt"
ISSUER = os.environ.get("TEXTMILL_JWT_ISSUER", "textmill-local")
AUDIENCE = os.environ.get("TEXTMILL_JWT_AUDIENCE", "textmill")


def claims(tenant: str, role: str = "analyst", **changes) -> dict:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": f"user-of-{tenant}",
        "iat": now,
        "exp": now + 300,
        "tenant": tenant,
        "role": role,
    }
    return {name: value for name, value in (base | changes).items() if value is not None}


def signed(payload: dict, alg: str = "HS256", key: str | bytes | None = None) -> str:
    """`payload` signed with the local stack's key of `alg` (or with `key`)."""
    if alg == "HS256":
        return jwt.encode(payload, key or (JWT_DIR / "secret").read_text().strip(), "HS256")
    kid = f"local-{alg.lower()}"
    private = key or (JWT_DIR / f"{kid}.pem").read_bytes()
    return jwt.encode(payload, private, alg, headers={"kid": kid})
