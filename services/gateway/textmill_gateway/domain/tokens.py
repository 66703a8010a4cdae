"""JWT bearer tokens, verified with PyJWT: an HS256 shared secret, or RS256/ES256 public
keys of a JWKS document; issuer, audience, expiry (with leeway) and a subject required; the
tenant and the role read from claims whose names are configured.

The token's `alg` picks the key source, and only that algorithm is accepted for it: an
RS256 public key is never tried as an HS256 secret, and `alg: none` has no key at all.
"""

import hashlib
from dataclasses import dataclass

import jwt

from textmill_gateway.domain.principal import ROLE_RANK, TENANT, Principal, Role
from textmill_gateway.domain.refusals import unauthorized

ASYMMETRIC = ("RS256", "ES256")


@dataclass(frozen=True, kw_only=True)
class TokenRules:
    issuer: str
    audience: str
    leeway_seconds: float
    tenant_claim: str
    role_claim: str


class TokenVerifier:
    def __init__(self, rules: TokenRules, *, secret: str | None, jwks: dict | None) -> None:
        self._rules, self._secret = rules, secret
        self._keys: list[jwt.PyJWK] = []
        if jwks is not None:
            keys = jwt.PyJWKSet.from_dict(jwks).keys
            self._keys = [key for key in keys if key.algorithm_name in ASYMMETRIC]
            if not self._keys:
                raise ValueError("the JWKS document holds no RS256 or ES256 key")

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; raises `CredentialsRefused` otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise unauthorized("the bearer token is neither an API key nor a JWT") from None
        key = self._key_for(header)
        try:
            claims = self._decode(token, key, header["alg"], verify_exp=True)
        except jwt.ExpiredSignatureError:
            claims = self._decode(token, key, header["alg"], verify_exp=False)
            raise unauthorized(
                "the token has expired", tenant=self._tenant(claims), actor=_actor(claims)
            ) from None
        except jwt.InvalidTokenError as exc:
            raise unauthorized(f"the token is not valid: {exc}") from None
        tenant, role = self._tenant(claims), self._role(claims)
        if tenant is None or role is None:
            raise unauthorized(
                f"the token must name a tenant in its {self._rules.tenant_claim!r} claim and "
                f"a role (viewer, analyst or admin) in its {self._rules.role_claim!r} claim"
            )
        subject = f"{claims['iss']}\x1f{claims['sub']}"
        return Principal(
            key_id=_actor(claims),
            tenant=tenant,
            role=role,
            credential="jwt:" + hashlib.sha256(subject.encode()).hexdigest()[:32],
        )

    def _key_for(self, header: dict) -> object:
        alg = header.get("alg")
        if alg == "HS256" and self._secret:
            return self._secret
        if alg in ASYMMETRIC:
            kid = header.get("kid")
            for key in self._keys:
                if key.algorithm_name == alg and (kid is None or key.key_id == kid):
                    return key
        raise unauthorized(f"no key here verifies a token signed with {str(alg)[:20]!r}")

    def _decode(self, token: str, key: object, alg: str, *, verify_exp: bool) -> dict:
        return jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=self._rules.audience,
            issuer=self._rules.issuer,
            leeway=self._rules.leeway_seconds,
            options={"require": ["exp", "iss", "aud", "sub"], "verify_exp": verify_exp},
        )

    def _tenant(self, claims: dict) -> str | None:
        tenant = claims.get(self._rules.tenant_claim)
        return tenant if isinstance(tenant, str) and TENANT.fullmatch(tenant) else None

    def _role(self, claims: dict) -> Role | None:
        """The claim's role, or the highest of a list of them; roles we do not know count
        for nothing."""
        value = claims.get(self._rules.role_claim)
        named = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        known = [role for role in named if isinstance(role, str) and role in ROLE_RANK]
        return max(known, key=ROLE_RANK.__getitem__) if known else None


def _actor(claims: dict) -> str:
    return f"jwt:{str(claims.get('sub'))[:100]}"
