"""`POST /api/v2/estimate`: the time and cost of a run before it starts, answered by the
estimator over Kafka request/reply. The body and its checks are those of `/analyze`."""

from litestar import post
from litestar.params import JSONBody

from textmill_contracts.commands import EstimateRequested
from textmill_contracts.events import EstimateCompleted, EstimateFailed
from textmill_contracts.topics import TOPICS
from textmill_gateway.domain.refusals import Refusal, not_found
from textmill_gateway.domain.requests import AnalyzeRequest, chosen_chains, chosen_columns
from textmill_gateway.domain.views import EstimateView
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_infra.replies import decode_reply


@post(
    "/api/v2/estimate",
    status_code=200,
    tags=["runs"],
    summary="A run's time and cost, before it starts (analyst: it may run chains on a worker "
    "to calibrate)",
    opt={"role": "analyst", "budget": "reads"},
    responses=problems(400, 403, 404, 422, 500, 504),
)
async def estimate(
    data: JSONBody[AnalyzeRequest], gateway: GatewayDep, principal: PrincipalDep
) -> EstimateView:
    stored = await gateway.files.get(principal.tenant, data.file_id)
    if stored is None:
        raise not_found("file", data.file_id)
    columns = chosen_columns(data.columns, stored.header)
    chains = chosen_chains(data.chains, gateway.models())

    reply = await gateway.replies.ask(
        gateway.publisher,
        TOPICS.estimate_requested,
        lambda correlation_id, reply_to: EstimateRequested(
            correlation_id=correlation_id,
            reply_to=reply_to,
            tenant=principal.tenant,
            file_id=stored.id,
            columns=columns,
            chains=chains,
            priority=data.priority,
        ),
        what="estimator",
        key=stored.id,
    )
    answer = decode_reply(reply, EstimateCompleted, EstimateFailed)
    if isinstance(answer, EstimateFailed):
        raise Refusal(answer.code, answer.detail)
    made = answer.estimate.model_dump(mode="json")
    return {"file_id": stored.id, "columns": columns, "chains": chains, **made}
