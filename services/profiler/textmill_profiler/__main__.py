"""`python -m textmill_profiler`: serve the profiler (health and metrics on TEXTMILL_HTTP_PORT)."""

from textmill_infra.service import serve
from textmill_profiler.app import create_app

if __name__ == "__main__":
    serve("profiler", create_app)
