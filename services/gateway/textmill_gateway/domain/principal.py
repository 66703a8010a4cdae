"""API keys: generated once, stored only as a SHA-256 hash, bound to a tenant and a role.

A key reads `tm_<key id>_<secret>`. Its 32 random bytes make a plain SHA-256 enough at
rest (there is nothing to brute-force the way there is with a password); lookups go by
the hash, so the secret is never compared in Python.
"""

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from textmill_gateway.domain.refusals import forbidden

Role = Literal["admin", "analyst", "viewer"]
ROLE_RANK: dict[str, int] = {"viewer": 0, "analyst": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    key_id: str
    tenant: str
    role: Role

    def require(self, role: Role) -> None:
        if ROLE_RANK[self.role] < ROLE_RANK[role]:
            raise forbidden(f"this call needs the {role} role; the key has {self.role}")


def new_key() -> tuple[str, str]:
    """A fresh (key id, full key). Only the caller ever sees the full key."""
    key_id = secrets.token_hex(6)
    return key_id, f"tm_{key_id}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
