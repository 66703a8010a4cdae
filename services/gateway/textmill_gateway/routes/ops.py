"""`/healthz`, `/readyz` and `/metrics`, outside authentication."""

from litestar import Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from textmill_infra.health import run_checks

# Without its charset, which the response adds (it was there twice).
METRICS_MEDIA_TYPE = "; ".join(
    part for part in CONTENT_TYPE_LATEST.split("; ") if not part.startswith("charset=")
)


@get("/healthz", include_in_schema=False)
async def healthz() -> dict:
    return {"status": "alive", "service": "gateway"}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response:
    runtime = state.gateway.runtime
    result = await run_checks(runtime.checks, runtime.settings.readiness_timeout_seconds)
    body = {"service": "gateway", **result.as_dict()}
    return Response(body, status_code=200 if result.ready else 503)


@get("/metrics", include_in_schema=False)
async def metrics(state: State) -> Response:
    body = generate_latest(state.gateway.runtime.registry)
    return Response(body, media_type=METRICS_MEDIA_TYPE)
