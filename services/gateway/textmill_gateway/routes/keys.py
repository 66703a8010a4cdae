"""`POST /api/v2/keys`: an admin creates an API key for its tenant (the operator's admin, for
any tenant); the key is shown once."""

from litestar import Controller, post
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from textmill_gateway.domain.principal import Role, hash_key, new_key
from textmill_gateway.domain.refusals import forbidden
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep


class KeyRequest(BaseModel):
    tenant: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: Role


class KeyController(Controller):
    path = "/api/v2/keys"
    tags = ["keys"]

    @post(status_code=201, summary="Create an API key (admin only); the key is returned once")
    async def create_key(
        self, data: JSONBody[KeyRequest], gateway: GatewayDep, principal: PrincipalDep
    ) -> dict:
        principal.require("admin")
        operator = gateway.runtime.settings.admin_tenant
        if data.tenant != principal.tenant and principal.tenant != operator:
            # A tenant's own admin manages its own keys; only the operator's admin (the
            # bootstrap key's tenant) makes keys for other tenants.
            raise forbidden(f"an admin of tenant {principal.tenant!r} makes keys for it alone")
        key_id, key = new_key()
        await gateway.keys.add(
            key_id=key_id, key_hash=hash_key(key), tenant=data.tenant, role=data.role
        )
        return {"key_id": key_id, "key": key, "tenant": data.tenant, "role": data.role}
