"""`python -m textmill_estimator`: serve the estimator; health and metrics on TEXTMILL_HTTP_PORT."""

from textmill_estimator.app import create_app
from textmill_infra.service import serve

if __name__ == "__main__":
    serve("estimator", create_app)
