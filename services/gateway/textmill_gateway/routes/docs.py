"""What documents the API, outside authentication: the AsyncAPI document of the Kafka
topics (dead letters included), and the docs UI's assets, served from the `swagger-ui-py`
package so that `/schema/swagger` works offline."""

from litestar import get
from litestar.static_files import create_static_files_router

from textmill_contracts.schemas import served_asyncapi_document
from textmill_gateway.openapi import ASSETS_DIR, ASSETS_PATH

ASYNCAPI = served_asyncapi_document()


@get("/schema/asyncapi.json", include_in_schema=False, media_type="application/json")
async def asyncapi() -> dict:
    return ASYNCAPI


docs_assets = create_static_files_router(
    path=ASSETS_PATH, directories=[ASSETS_DIR], include_in_schema=False, name="docs-assets"
)
