"""`GET /api/v2/stats`: an admin reads its tenant's counts and bytes (the operator's admin,
every tenant's), its runs by status, the shards waiting and under way, the workers alive."""

from litestar import get

from textmill_contracts.envelope import utc_now
from textmill_gateway.domain.views import StatsView
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep


@get(
    "/api/v2/stats",
    tags=["stats"],
    summary="Counts and bytes per tenant, runs by status, shards queued, workers alive",
    opt={"role": "admin"},
    responses=problems(403),
)
async def stats(gateway: GatewayDep, principal: PrincipalDep) -> StatsView:
    operator = gateway.runtime.settings.admin_tenant
    tenant = None if principal.tenant == operator else principal.tenant
    tally = await gateway.stats.store(tenant)
    workers = await gateway.stats.workers_alive()
    return {**tally.as_dict(workers), "generated_at": utc_now().isoformat()}
