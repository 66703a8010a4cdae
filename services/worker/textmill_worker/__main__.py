"""`python -m textmill_worker`: serve the worker (health and metrics on TEXTMILL_HTTP_PORT)."""

from textmill_infra.service import serve
from textmill_worker.app import create_app

if __name__ == "__main__":
    serve("worker", create_app)
