"""The dashboard for people: `GET /` is its page, `/dashboard/*` its scripts and styles, all
served from the package (no CDN: it works offline). The page calls the same public API as
any client, with the key it keeps in the browser session."""

from pathlib import Path

from litestar import Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
# Only the gateway's own scripts, styles and API: no inline script, no other origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@get("/", include_in_schema=False, sync_to_thread=False)
def dashboard_page() -> File:
    return File(
        DASHBOARD / "index.html",
        content_disposition_type="inline",
        media_type="text/html",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )


def dashboard_assets() -> Router:
    return create_static_files_router(path="/dashboard", directories=[DASHBOARD], name="dashboard")
