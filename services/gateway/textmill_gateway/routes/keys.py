"""`/api/v2/keys`: an admin creates, lists, revokes and rotates the API keys of its tenant
(the operator's admin, `TEXTMILL_ADMIN_TENANT`, those of any tenant). A key's secret is
shown once, when it is made; lists show when each was made and last used, never a hash."""

from datetime import timedelta
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody, Parameter

from textmill_gateway.adapters.audit import AuditEntry
from textmill_gateway.adapters.keys import BOOTSTRAP_KEY_ID, StoredKey
from textmill_gateway.context import Gateway
from textmill_gateway.domain.pages import KEY_CURSOR, format_key_cursor, parse_key_cursor
from textmill_gateway.domain.principal import TENANT_PATTERN, Principal, hash_key, new_key
from textmill_gateway.domain.refusals import Refusal, forbidden, not_found
from textmill_gateway.domain.requests import KeyRequest, RotateRequest
from textmill_gateway.domain.views import KeyCreated, KeyPage, KeyView
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_gateway.routes.params import Limit, cursor_param

KeyCursor = cursor_param(KEY_CURSOR)
TenantParam = Annotated[
    str | None,
    Parameter(
        pattern=TENANT_PATTERN,
        description="another tenant's keys (the operator's admin only); the caller's own if none",
    ),
]


def tenant_in_reach(gateway: Gateway, principal: Principal, tenant: str | None) -> str:
    """The tenant whose keys are asked for: the caller's own, or (the operator's admin
    only) another."""
    operator = gateway.runtime.settings.admin_tenant
    if tenant is None or tenant == principal.tenant:
        return principal.tenant
    if principal.tenant != operator:
        # A tenant's own admin manages its own keys; only the operator's admin (the
        # bootstrap key's tenant) manages those of other tenants.
        raise forbidden(f"an admin of tenant {principal.tenant!r} manages its own keys alone")
    return tenant


async def key_in_reach(gateway: Gateway, principal: Principal, key_id: str) -> StoredKey:
    """A key the caller may manage; another tenant's (for a tenant's admin) is not found."""
    operator = gateway.runtime.settings.admin_tenant
    scope = (
        None if principal.tenant == operator and key_id != BOOTSTRAP_KEY_ID else principal.tenant
    )
    key = await gateway.keys.get(key_id, scope)
    if key is None:
        raise not_found("key", key_id)
    return key


class KeyController(Controller):
    path = "/api/v2/keys"
    tags = ["keys"]
    opt = {"role": "admin"}

    @post(
        status_code=201,
        summary="Create an API key (admin only); the key is returned once",
        responses=problems(400, 403),
    )
    async def create_key(
        self, data: JSONBody[KeyRequest], gateway: GatewayDep, principal: PrincipalDep
    ) -> KeyCreated:
        tenant = tenant_in_reach(gateway, principal, data.tenant)
        key_id, key = new_key()
        stored = await gateway.keys.add(
            key_id=key_id,
            key_hash=hash_key(key),
            tenant=tenant,
            role=data.role,
            created_by=principal.key_id,
        )
        await gateway.audit.record(
            AuditEntry(
                tenant,
                principal.key_id,
                "key.created",
                key_id,
                {"tenant": tenant, "role": data.role},
            )
        )
        return {**stored.as_view(), "key": key}

    @get(summary="The tenant's keys, newest first, by cursor", responses=problems(400, 403))
    async def list_keys(
        self,
        gateway: GatewayDep,
        principal: PrincipalDep,
        limit: Limit = 100,
        cursor: KeyCursor = None,
        tenant: TenantParam = None,
    ) -> KeyPage:
        owner = tenant_in_reach(gateway, principal, tenant)
        keys = await gateway.keys.page(owner, limit + 1, parse_key_cursor(cursor))
        more, keys = len(keys) > limit, keys[:limit]
        return {
            "items": [key.as_view() for key in keys],
            "next_cursor": format_key_cursor(keys[-1].created_at, keys[-1].key_id)
            if more
            else None,
        }

    @get("/{key_id:str}", summary="One key (never its secret)", responses=problems(403, 404))
    async def get_key(
        self, key_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> KeyView:
        return (await key_in_reach(gateway, principal, key_id)).as_view()

    @post(
        "/{key_id:str}/revoke",
        status_code=200,
        summary="Revoke a key: every replica refuses it within TEXTMILL_KEY_CACHE_SECONDS",
        responses=problems(403, 404, 409),
    )
    async def revoke_key(
        self, key_id: FromPath[str], gateway: GatewayDep, principal: PrincipalDep
    ) -> KeyView:
        key = _managed(await key_in_reach(gateway, principal, key_id))
        revoked = await gateway.keys.revoke(key)
        await gateway.audit.record(
            AuditEntry(key.tenant, principal.key_id, "key.revoked", key_id, {"tenant": key.tenant})
        )
        return revoked.as_view()

    @post(
        "/{key_id:str}/rotate",
        status_code=201,
        summary="Rotate a key: a new key of the same tenant and role (returned once); the "
        "old one works `grace_seconds` longer",
        responses=problems(400, 403, 404, 409),
    )
    async def rotate_key(
        self,
        key_id: FromPath[str],
        gateway: GatewayDep,
        principal: PrincipalDep,
        data: JSONBody[RotateRequest | None] = None,
    ) -> Response[KeyCreated]:
        old = _managed(await key_in_reach(gateway, principal, key_id))
        if old.revoked_at is not None:
            raise Refusal("key_revoked", f"key {key_id!r} is revoked: create a new one")
        grace = timedelta(seconds=(data or RotateRequest()).grace_seconds)
        new_id, key = new_key()
        stored = await gateway.keys.add(
            key_id=new_id,
            key_hash=hash_key(key),
            tenant=old.tenant,
            role=old.role,
            created_by=principal.key_id,
            rotated_from=old.key_id,
        )
        await gateway.keys.end_after(old, grace)
        await gateway.audit.record(
            AuditEntry(
                old.tenant,
                principal.key_id,
                "key.rotated",
                key_id,
                {
                    "tenant": old.tenant,
                    "new_key_id": new_id,
                    "grace_seconds": grace.total_seconds(),
                },
            )
        )
        body = {**stored.as_view(), "key": key}
        return Response(body, status_code=201, headers={"Location": f"/api/v2/keys/{new_id}"})


def _managed(key: StoredKey) -> StoredKey:
    if key.key_id == BOOTSTRAP_KEY_ID:
        raise Refusal(
            "key_managed",
            "the bootstrap key is set by TEXTMILL_ADMIN_KEY: change that setting to replace it",
        )
    return key
