"""Who calls: an API key or a JWT, bound to a tenant and a role.

A key reads `tm_<key id>_<secret>`. Its 32 random bytes make a plain SHA-256 enough at
rest (there is nothing to brute-force the way there is with a password); lookups go by
the hash, so the secret is never compared in Python.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from textmill_gateway.domain.refusals import forbidden

Role = Literal["admin", "analyst", "viewer"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")
ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}
TENANT = re.compile(r"[A-Za-z0-9._-]{1,64}")
TENANT_PATTERN = f"^{TENANT.pattern}$"


@dataclass(frozen=True)
class Principal:
    key_id: str  # the key's id, or `jwt:<subject>`: who, in the audit log
    tenant: str
    role: Role
    # What its own rate-limit budget is counted by: the key's hash (a key id such as
    # "bootstrap" may repeat across deployments sharing a Redis), or the token's subject.
    credential: str = ""

    def require(self, role: Role) -> None:
        if ROLE_RANK[self.role] < ROLE_RANK[role]:
            raise forbidden(f"this call needs the {role} role; the caller has {self.role}")


def new_key() -> tuple[str, str]:
    """A fresh (key id, full key). Only the caller ever sees the full key."""
    key_id = secrets.token_hex(6)
    return key_id, f"tm_{key_id}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments: a JWT, not an API key (keys start `tm_` and have no dot)."""
    return token.count(".") == 2 and not token.startswith("tm_")
