"""`python -m textmill_gateway`: serve the gateway on TEXTMILL_GATEWAY_PORT (8000)."""

from textmill_gateway.app import create_app
from textmill_infra.service import serve

if __name__ == "__main__":
    serve("gateway", create_app)
