# One image for every textmill service. The service it runs is chosen by the build argument
# SERVICE (gateway, profiler, estimator, coordinator, worker), kept as TEXTMILL_SERVICE, which
# can also be overridden at run time:
#
#   docker build --build-arg SERVICE=profiler -t textmill-profiler .
#
# docker-compose.yml builds it once per service. Configuration comes from the same TEXTMILL_*
# variables as the local stack (libs/infra/textmill_infra/settings.py).

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: resolve the locked dependencies into /app/.venv ------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install uv==0.13.9

WORKDIR /app

# Third-party dependencies first, from the lock file alone: this layer is rebuilt only when
# pyproject.toml or uv.lock change, not on every code change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace

# Then the workspace members (libs/*, services/*, clients/*), installed as regular (non-editable)
# packages so that the virtual environment is self-contained.
COPY libs/ libs/
COPY services/ services/
COPY clients/ clients/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 textmill \
    && useradd --system --uid 10001 --gid textmill --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin textmill

WORKDIR /app

# The venv holds the dependencies and every workspace member (libs and services); the venv's
# python links to /usr/local/bin/python3.11, the same path in both stages.
COPY --from=builder /app/.venv /app/.venv
COPY deploy/docker/entrypoint.sh deploy/docker/healthcheck.py /app/deploy/docker/

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TEXTMILL_HTTP_HOST=0.0.0.0

USER textmill

# Gateway API; health/metrics of profiler, estimator, coordinator, worker.
EXPOSE 8000 8101 8102 8103 8104

# Liveness of the process; docker-compose.yml checks /readyz (Kafka, Mongo, Redis) instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/docker/healthcheck.py", "/healthz"]

ENTRYPOINT ["/bin/sh", "/app/deploy/docker/entrypoint.sh"]

# Last, so that the five service images share every layer above.
ARG SERVICE
ENV TEXTMILL_SERVICE=${SERVICE}
