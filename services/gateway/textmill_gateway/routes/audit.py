"""`GET /api/v2/audit`: an admin reads its tenant's audit log (the operator's admin, any
tenant's, and the refused logins that named no tenant), newest first, by cursor."""

from litestar import get

from textmill_gateway.domain.pages import SEQUENCE_CURSOR, parse_sequence_cursor
from textmill_gateway.domain.views import AuditPage
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_gateway.routes.keys import TenantParam, tenant_in_reach
from textmill_gateway.routes.params import Limit, cursor_param

AuditCursor = cursor_param(SEQUENCE_CURSOR)


@get(
    "/api/v2/audit",
    tags=["keys"],
    summary="The audit log: key changes, uploads, deletes, run starts and cancels, refused "
    "logins; newest first, by cursor",
    opt={"role": "admin"},
    responses=problems(400, 403),
)
async def audit_log(
    gateway: GatewayDep,
    principal: PrincipalDep,
    limit: Limit = 100,
    cursor: AuditCursor = None,
    tenant: TenantParam = None,
) -> AuditPage:
    owner = tenant_in_reach(gateway, principal, tenant)
    items, below = await gateway.audit.page(owner, limit, parse_sequence_cursor(cursor))
    return {"items": items, "next_cursor": str(below) if below is not None else None}
