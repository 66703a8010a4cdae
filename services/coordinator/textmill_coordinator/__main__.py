"""`python -m textmill_coordinator`: serve it; health and metrics on TEXTMILL_HTTP_PORT."""

from textmill_coordinator.app import create_app
from textmill_infra.service import serve

if __name__ == "__main__":
    serve("coordinator", create_app)
