"""The OpenAPI document, made to tell the truth: problem documents for every error status,
both auth schemes, the rate-limit headers, and what Litestar cannot infer from a handler's
signature (the streamed multipart uploads, SSE and export media types, links between
operations), filled in once when the app starts. The docs UI (Swagger UI, from the
`swagger-ui-py` package) is served by the gateway itself: it works offline."""

from pathlib import Path

import swagger_ui
from litestar import Request
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from pydantic import BaseModel, ConfigDict, Field

from textmill_contracts.events import CandidateScore, CellResult, ColumnStats
from textmill_gateway.domain.export import MEDIA_TYPES
from textmill_gateway.domain.requests import REQUEST_MODELS
from textmill_gateway.domain.views import EstimateView
from textmill_gateway.errors import PROBLEM_MEDIA_TYPE

ASSETS_PATH = "/static/swagger-ui"
ASSETS_DIR = Path(swagger_ui.__file__).parent / "static"
DOCUMENTED = "x-textmill-documented"
SECURITY = [{"ApiKey": []}, {"ApiKeyHeader": []}, {"JWT": []}]

DESCRIPTIONS = {
    400: "Invalid request: a body or parameter the API does not take (unknown fields named)",
    401: "No credentials, or credentials that are not valid (unknown, revoked, expired)",
    403: "The caller's role is too low for this call",
    404: "No such resource, or another tenant's",
    409: "The resource is in a state that does not allow this",
    410: "The resource is no longer kept",
    413: "Too large",
    415: "Unsupported media type or file format",
    422: "The request is well formed but cannot be acted on",
    429: "A rate-limit quota is spent: retry after `Retry-After` seconds",
    500: "The server failed (the request id names the call in the logs)",
    503: "Not ready to do it now: retry",
    504: "A service did not answer in time",
}


class Problem(BaseModel):
    """An RFC 9457 problem document; some carry more fields (`errors`, `unknown`, `available`,
    `row`, `column`, `retry_after`)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str
    title: str
    status: int = Field(ge=400, le=599)
    code: str = Field(description="stable: what clients branch on")
    detail: str
    instance: str
    correlation_id: str | None = Field(description="the request id (x-request-id)")


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """`responses=` of a route: the problem documents it may answer with."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=DESCRIPTIONS[status],
            generate_examples=False,
        )
        for status in statuses
    }


class DocumentedJson(JsonRenderPlugin):
    """`/schema/openapi.json`, completed by `document()` (in place, once per document:
    Litestar renders every page from the same cached dict)."""

    def render(self, request: Request, openapi_schema: dict) -> bytes:
        return super().render(request, document(openapi_schema))


class DocumentedSwagger(SwaggerRenderPlugin):
    """Swagger UI at `/schema` and `/schema/swagger`, of the completed document."""

    def render(self, request: Request, openapi_schema: dict) -> bytes:
        return super().render(request, document(openapi_schema))


def openapi_config() -> OpenAPIConfig:
    swagger = DocumentedSwagger(
        path="/swagger",
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="textmill",
        version="2.0.0",
        description=(
            "textmill analyses the free-text columns of tabular files. Every error is an "
            "RFC 9457 problem document with a stable `code`. Authenticate with an API key "
            "(`Authorization: Bearer tm_…` or `X-API-Key`) or a JWT. The AsyncAPI document "
            "of the Kafka topics is at /schema/asyncapi.json."
        ),
        path="/schema",
        render_plugins=[swagger, DocumentedJson()],
        components=Components(
            security_schemes={
                "ApiKey": SecurityScheme(
                    type="http", scheme="bearer", description="a textmill API key, `tm_…`"
                ),
                "ApiKeyHeader": SecurityScheme(
                    type="apiKey",
                    name="X-API-Key",
                    security_scheme_in="header",
                    description="a textmill API key in its own header",
                ),
                "JWT": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="a JWT (HS256, RS256 or ES256) naming the tenant and the role "
                    "in configured claims, with issuer, audience, expiry and subject",
                ),
            }
        ),
    )


_HEADERS = {
    "RateLimit-Policy": "The quotas the request was counted against: "
    '`"<scope>-<budget>";q=<quota>;w=<window seconds>` (IETF draft)',
    "RateLimit": 'Where the caller stands: `"<scope>-<budget>";r=<remaining>;t=<seconds to reset>`',
    "Retry-After": "Seconds to wait before retrying",
    "X-Request-Id": "The request id, also the problem's correlation_id",
}
_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "file": {
                    "type": "string",
                    "format": "binary",
                    "description": "the file (CSV/TSV, JSON, JSONL, Parquet, Excel)",
                },
            },
            "required": ["file"],
        }
    }
}
_TASK_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                **_UPLOAD["multipart/form-data"]["schema"]["properties"],
                "text_column": {
                    "type": "string",
                    "maxLength": 1024,
                    "description": "the column to analyse; the profiler's top candidate if none",
                },
            },
            "required": ["file"],
        }
    }
}
_SSE = {
    "text/event-stream": {
        "schema": {
            "type": "object",
            "description": "each event: `run` (a status or progress), `results` (a batch of "
            'cells) or `error` (a problem); `data` is `{"seq", "type", "data"}` as JSON, '
            "`id` the seq (send it back as Last-Event-ID to resume)",
            "properties": {
                "event": {"type": "string", "enum": ["run", "results", "error"]},
                "data": {"type": "string", "contentMediaType": "application/json"},
                "id": {"type": "string", "pattern": "^[0-9]+$"},
            },
        }
    }
}
_LINKS = {
    ("/api/v2/files", "post", "201"): {
        "GetFile": ("files/{file_id}", "get", {"file_id": "$response.body#/id"}),
        "DeleteFile": ("files/{file_id}", "delete", {"file_id": "$response.body#/id"}),
        "ProfileFile": ("profile", "post", {"file_id": "$response.body#/id"}),
        "AnalyzeFile": (
            "analyze",
            "post",
            {"file_id": "$response.body#/id", "columns": "$response.body#/header"},
        ),
    },
    ("/api/v2/analyze", "post", "202"): {
        "GetRun": ("runs/{run_id}", "get", {"run_id": "$response.body#/run_id"}),
        "RunResults": ("runs/{run_id}/results", "get", {"run_id": "$response.body#/run_id"}),
        "RunSummary": ("runs/{run_id}/summary", "get", {"run_id": "$response.body#/run_id"}),
        "CancelRun": ("runs/{run_id}/cancel", "post", {"run_id": "$response.body#/run_id"}),
    },
    ("/api/v2/keys", "post", "201"): {
        "GetKey": ("keys/{key_id}", "get", {"key_id": "$response.body#/key_id"}),
    },
    ("/api/v1/tasks/text", "post", "202"): {
        "GetTask": ("tasks/{task_id}", "get", {"task_id": "$response.body#/task_id"}),
    },
}


def document(schema: dict) -> dict:
    """Fill in, in place, what the handlers' signatures cannot say; returns `schema`."""
    if schema.get(DOCUMENTED):
        return schema
    schema[DOCUMENTED] = True
    components = schema.setdefault("components", {})
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    _pydantic_schemas(components.setdefault("schemas", {}))
    components["headers"] = {
        name: {
            "description": text,
            "schema": {"type": "string" if name != "Retry-After" else "integer"},
        }
        for name, text in _HEADERS.items()
    }
    ops = {
        (path, method): op
        for path, item in schema.get("paths", {}).items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    }
    for (path, method), op in ops.items():
        responses = op["responses"]
        if op.get("security"):
            for status in ("401", "429"):
                responses.setdefault(status, {"description": DESCRIPTIONS[int(status)]})
        for status, response in responses.items():
            if int(status) >= 400:
                # Litestar documents its own error shape for 400: every error is a problem.
                response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
                response["description"] = DESCRIPTIONS.get(int(status), response["description"])
            headers = response.setdefault("headers", {})
            headers["X-Request-Id"] = {"$ref": "#/components/headers/X-Request-Id"}
            if op.get("security"):
                for name in ("RateLimit-Policy", "RateLimit"):
                    headers[name] = {"$ref": f"#/components/headers/{name}"}
            if status == "429":
                headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        for (link_path, link_method, status), links in _LINKS.items():
            if (path, method) == (link_path, link_method) and status in responses:
                responses[status]["links"] = {
                    name: _link(path, target, target_method, parameters)
                    for name, (target, target_method, parameters) in links.items()
                }
    if op := ops.get(("/api/v2/files", "post")):
        op["requestBody"] = {"content": _UPLOAD, "required": True}
    if op := ops.get(("/api/v1/tasks/file", "post")):
        op["requestBody"] = {"content": _TASK_UPLOAD, "required": True}
    if op := ops.get(("/api/v2/runs/{run_id}/events", "get")):
        op["responses"]["200"]["content"] = _SSE
        op["responses"]["204"] = {
            "description": "The run has ended and the client had all of its stream (this stops "
            "a browser's EventSource reconnecting)",
            "headers": dict(op["responses"]["200"].get("headers", {})),
        }
    if op := ops.get(("/api/v2/analyze", "post")):
        op["responses"]["200"] = {
            "description": "With `Accept: text/event-stream`: the new run's live stream "
            "(its id in `X-Run-Id`)",
            "content": _SSE,
            "headers": dict(op["responses"]["202"].get("headers", {})),
        }
    if op := ops.get(("/api/v2/runs/{run_id}/export", "get")):
        op["responses"]["200"]["content"] = {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in MEDIA_TYPES.values()
        }
    return schema


def _pydantic_schemas(schemas: dict) -> None:
    """The schemas of the pydantic models as pydantic itself writes them: exactly what it
    validates (Litestar's own rendering drops `additionalProperties: false`, patterns and
    the models' own rules)."""
    models = [(model, "validation") for model in REQUEST_MODELS] + [
        (model, "serialization")
        for model in (EstimateView, ColumnStats, CandidateScore, CellResult, Problem)
    ]
    for model, mode in models:
        written = model.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}")
        schemas.update(written.pop("$defs", {}))
        schemas[model.__name__] = written


def _link(path: str, target: str, method: str, values: dict) -> dict:
    """A link to `target`: `values` are its path parameters, or its JSON body when it takes
    one (a POST to a path without parameters)."""
    link: dict = {"operationRef": _op_ref(path, target, method)}
    key = "requestBody" if method == "post" and "{" not in target else "parameters"
    link[key] = values
    return link


def _op_ref(path: str, target: str, method: str) -> str:
    """An `operationRef` to `target` (relative to `/api/v2/` or `/api/v1/`)."""
    base = "/".join(path.split("/")[:3])
    pointer = f"{base}/{target}".replace("~", "~0").replace("/", "~1")
    return f"#/paths/{pointer}/{method}"
