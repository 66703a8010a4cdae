"""JWT bearer tokens, verified as the gateway verifies them: tests sign their own (HS256
with a secret, RS256 and ES256 with keys of a JWKS), valid and not."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from textmill_gateway.domain.refusals import CredentialsRefused
from textmill_gateway.domain.tokens import TokenRules, TokenVerifier

SECRET = "a-test-secret-of-enough-length-for-hs256-xx"
RULES = TokenRules(
    issuer="https://id.example",
    audience="textmill",
    leeway_seconds=5,
    tenant_claim="tenant",
    role_claim="role",
)
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwks() -> dict:
    keys = []
    for kid, key, alg in (("r1", RSA_KEY, "RS256"), ("e1", EC_KEY, "ES256")):
        jwk = jwt.PyJWK.from_json(
            jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key())
        )
        keys.append({**jwk._jwk_data, "kid": kid, "alg": alg, "use": "sig"})
    return {"keys": keys}


VERIFIER = TokenVerifier(RULES, secret=SECRET, jwks=jwks())


def claims(**changes) -> dict:
    now = int(time.time())
    base = {
        "iss": RULES.issuer,
        "aud": RULES.audience,
        "sub": "user-7",
        "exp": now + 300,
        "iat": now,
        "tenant": "acme",
        "role": "analyst",
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def hs256_by_hand(payload: dict, secret: bytes) -> str:
    """An HS256 token PyJWT would refuse to make (its secret is a public key)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "typ": "JWT"}).encode()
    signed = f"{part(header)}.{part(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{part(signature)}"


def refused(token: str) -> CredentialsRefused:
    with pytest.raises(CredentialsRefused) as raised:
        VERIFIER.verify(token)
    return raised.value


@pytest.mark.parametrize(
    ("key", "alg", "kid"),
    [(SECRET, "HS256", None), (RSA_KEY, "RS256", "r1"), (EC_KEY, "ES256", "e1")],
)
def test_a_valid_token_names_its_tenant_role_and_subject(key, alg, kid):
    # Given a token signed with each kind of key the gateway knows
    token = jwt.encode(claims(), key, algorithm=alg, headers={"kid": kid} if kid else None)
    # When it is verified
    principal = VERIFIER.verify(token)
    # Then it is the tenant's analyst, counted by a credential of its own
    assert (principal.tenant, principal.role, principal.key_id) == ("acme", "analyst", "jwt:user-7")
    assert principal.credential.startswith("jwt:")


def test_an_expired_token_is_refused_and_names_its_tenant_for_the_audit_log():
    token = jwt.encode(claims(exp=int(time.time()) - 60), SECRET, algorithm="HS256")
    refusal = refused(token)
    assert "expired" in refusal.detail and refusal.tenant == "acme"


def test_a_token_expired_within_the_leeway_is_accepted():
    token = jwt.encode(claims(exp=int(time.time()) - 2), SECRET, algorithm="HS256")
    assert VERIFIER.verify(token).tenant == "acme"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "another-api"}, "udience"),
        ({"sub": None}, "sub"),
        ({"exp": None}, "exp"),
    ],
)
def test_a_token_of_another_issuer_or_audience_or_without_a_claim_is_refused(changes, why):
    assert why in refused(jwt.encode(claims(**changes), SECRET, algorithm="HS256")).detail


def test_a_token_signed_with_another_secret_or_key_is_refused():
    assert "signature" in refused(jwt.encode(claims(), "x" * 40, algorithm="HS256")).detail.lower()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "r1"})
    assert "signature" in refused(token).detail.lower()


def test_an_unsigned_token_alg_none_is_refused():
    token = jwt.encode(claims(), None, algorithm="none")
    assert "'none'" in refused(token).detail


def test_an_rs256_public_key_is_never_taken_as_an_hs256_secret():
    # Given a verifier with only the JWKS (no secret), and a token "signed" HS256 with the
    # RSA public key as its secret (the classic algorithm confusion)
    only_jwks = TokenVerifier(RULES, secret=None, jwks=jwks())
    public = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = hs256_by_hand(claims(), public)
    # Then it is refused: no key here verifies HS256
    with pytest.raises(CredentialsRefused):
        only_jwks.verify(token)


@pytest.mark.parametrize(
    "changes", [{"tenant": None}, {"tenant": "no spaces allowed"}, {"role": "root"}, {"role": None}]
)
def test_a_token_without_a_tenant_or_a_known_role_is_refused(changes):
    assert "tenant" in refused(jwt.encode(claims(**changes), SECRET, algorithm="HS256")).detail


def test_a_list_of_roles_gives_the_highest_one_known():
    token = jwt.encode(claims(role=["viewer", "admin", "wizard"]), SECRET, algorithm="HS256")
    assert VERIFIER.verify(token).role == "admin"


def test_the_tenant_and_role_claims_are_configurable():
    rules = TokenRules(**{**RULES.__dict__, "tenant_claim": "org", "role_claim": "perm"})
    verifier = TokenVerifier(rules, secret=SECRET, jwks=None)
    token = jwt.encode(claims(tenant=None, role=None, org="globex", perm="viewer"), SECRET, "HS256")
    principal = verifier.verify(token)
    assert (principal.tenant, principal.role) == ("globex", "viewer")


def test_garbage_is_neither_a_key_nor_a_token():
    assert "neither" in refused("a.b.c").detail
