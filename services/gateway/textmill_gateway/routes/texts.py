"""`POST /api/v2/analyze/text`: a quick analysis of up to 100 texts, answered by a worker
over Kafka request/reply."""

from litestar import post
from litestar.params import JSONBody

from textmill_contracts.commands import AnalyzeTexts
from textmill_contracts.events import TextsAnalyzed
from textmill_contracts.topics import TOPICS
from textmill_gateway.domain.requests import AnalyzeTextsRequest, checked_texts, chosen_chains
from textmill_gateway.domain.views import TextsView
from textmill_gateway.openapi import problems
from textmill_gateway.routes.deps import GatewayDep, PrincipalDep
from textmill_infra.replies import decode_reply


@post(
    "/api/v2/analyze/text",
    status_code=200,
    tags=["runs"],
    summary="Analyse up to 100 texts",
    opt={"role": "analyst"},
    responses=problems(400, 403, 413, 422, 504),
)
async def analyze_texts(
    data: JSONBody[AnalyzeTextsRequest], gateway: GatewayDep, principal: PrincipalDep
) -> TextsView:
    chains, texts = chosen_chains(data.chains, gateway.models()), checked_texts(data.texts)

    reply = await gateway.replies.ask(
        gateway.publisher,
        TOPICS.analyze_texts,
        lambda correlation_id, reply_to: AnalyzeTexts(
            correlation_id=correlation_id, reply_to=reply_to, texts=texts, chains=chains
        ),
        what="worker",
    )
    analysed = decode_reply(reply, TextsAnalyzed)
    return {"results": [r.model_dump(mode="json") for r in analysed.results]}
