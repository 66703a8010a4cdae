#!/bin/sh
# Container entry point: run the service named by TEXTMILL_SERVICE as
# `python -m textmill_<service>`, exec'd so that it is PID 1 and receives SIGTERM directly
# (uvicorn then drains for up to 20 s). With arguments, run those instead, e.g.
#   docker compose run --rm worker python -c 'import textmill_worker'
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

case "${TEXTMILL_SERVICE:-}" in
    gateway | profiler | estimator | coordinator | worker)
        exec python -m "textmill_${TEXTMILL_SERVICE}"
        ;;
    *)
        echo "entrypoint: TEXTMILL_SERVICE is '${TEXTMILL_SERVICE:-}'; expected one of" \
            "gateway, profiler, estimator, coordinator, worker" \
            "(docker build --build-arg SERVICE=<name>, or -e TEXTMILL_SERVICE=<name>)" >&2
        exit 64
        ;;
esac
