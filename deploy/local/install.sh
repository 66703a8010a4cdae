#!/usr/bin/env bash
# Installs what the local stack needs, once, into .local/ (git-ignored). Idempotent: each
# step checks what is there and does only what is missing. Needs: JDK 17 + Maven, Go,
# Python 3.11, and root (or sudo) for apt when redis-server or prometheus is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LOCAL=$ROOT/.local
KAFKA_VERSION=4.1.1
FERRETDB_VERSION=v1.24.2
UV_VERSION=0.13.9
JAEGER_VERSION=v1.75.0
KUSTOMIZE_VERSION=v5.7.1
KUBECONFORM_VERSION=v0.7.0
VEGETA_VERSION=v12.12.0
mkdir -p "$LOCAL/bin" "$LOCAL/kafka" "$LOCAL/build"
for dir in /usr/local/go/bin "$HOME/go/bin"; do [ -d "$dir" ] && PATH="$dir:$PATH"; done
# uv trusts the platform's certificate store too (machines behind a TLS-inspecting proxy).
export UV_SYSTEM_CERTS=${UV_SYSTEM_CERTS:-1}

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v redis-server >/dev/null; then
  step "redis-server (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # The package starts a system-wide Redis on 6379; the stack runs its own on its own port.
  as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
fi

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  step "prometheus + promtool (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # As for Redis: the stack runs its own, on its own port.
  as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

# The dashboard's browser tests drive Debian's Chromium (Playwright cannot download a browser
# here); the command line's terminal test runs it in tmux.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tmux >/dev/null || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  step "${missing[*]} (Debian packages, for the browser and terminal tests)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# uv: the machine's own when it is the pinned version, else one in a private venv under
# .local/tools (no pip into a system or pyenv Python; the Makefile puts it first on PATH).
export PATH="$LOCAL/tools/bin:$PATH"
if ! command -v uv >/dev/null || [ "$(uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  step "uv $UV_VERSION (PyPI, into .local/tools)"
  rm -rf "$LOCAL/tools"
  python3 -m venv "$LOCAL/tools"
  "$LOCAL/tools/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
  # Only uv on PATH from this venv, not its python or pip.
  find "$LOCAL/tools/bin" -mindepth 1 -maxdepth 1 ! -name 'uv' ! -name 'uvx' -delete
fi

step "Python environment (uv sync --frozen)"
uv sync --frozen --quiet

if [ "$(cat "$LOCAL/kafka/VERSION" 2>/dev/null)" != "$KAFKA_VERSION" ]; then
  step "Apache Kafka $KAFKA_VERSION jars (Maven Central)"
  rm -rf "$LOCAL/kafka/libs"
  mvn -q -B -f deploy/local/kafka/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$LOCAL/kafka/libs" -DincludeScope=runtime
  echo "$KAFKA_VERSION" > "$LOCAL/kafka/VERSION"
fi

# A Go module at an exact version, copied writable into .local/build/$1 (`go install`
# fails for FerretDB: the proxy refuses its version list, which it reads for deprecations).
module_source() {
  local src
  src=$(GOFLAGS=-buildvcs=false go mod download -json "$2" | python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])')
  rm -rf "$LOCAL/build/$1"
  cp -r "$src" "$LOCAL/build/$1"
  chmod -R u+w "$LOCAL/build/$1"
}

if ! "$LOCAL/bin/ferretdb" --version 2>/dev/null | grep -q "$FERRETDB_VERSION"; then
  step "FerretDB $FERRETDB_VERSION (Go module proxy, built from source)"
  # `go install ...@v1.24.2` fails here: the proxy refuses the module's version list,
  # which `go install` reads for deprecation notices. Downloading the exact version and
  # building it works; the module zip lacks the generated version file, so we write it.
  export GOFLAGS=-buildvcs=false
  module_source ferretdb "github.com/FerretDB/FerretDB@$FERRETDB_VERSION"
  echo "$FERRETDB_VERSION" > "$LOCAL/build/ferretdb/build/version/version.txt"
  (cd "$LOCAL/build/ferretdb" && go build -trimpath -o "$LOCAL/bin/ferretdb" ./cmd/ferretdb)
  rm -rf "$LOCAL/build/ferretdb"
fi

# A go-built binary does not know its version: a file beside it says which was built.
built() { [ -x "$LOCAL/bin/$1" ] && [ "$(cat "$LOCAL/bin/$1.version" 2>/dev/null)" = "$2" ]; }

if ! built jaeger-all-in-one "$JAEGER_VERSION"; then
  step "Jaeger $JAEGER_VERSION all-in-one (Go module proxy, built from source)"
  # As FerretDB: the exact version downloaded and built (v1's all-in-one; its UI is left
  # out, the query API the tests read is in).
  export GOFLAGS=-buildvcs=false
  module_source jaeger "github.com/jaegertracing/jaeger@$JAEGER_VERSION"
  (cd "$LOCAL/build/jaeger" && go build -trimpath -o "$LOCAL/bin/jaeger-all-in-one" ./cmd/all-in-one)
  rm -rf "$LOCAL/build/jaeger"
  echo "$JAEGER_VERSION" > "$LOCAL/bin/jaeger-all-in-one.version"
fi

# kustomize renders deploy/k8s, kubeconform validates it (tests/unit/test_kubernetes.py).
if ! built kustomize "$KUSTOMIZE_VERSION"; then
  step "kustomize $KUSTOMIZE_VERSION (Go module proxy)"
  GOBIN="$LOCAL/bin" GOFLAGS=-buildvcs=false go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  echo "$KUSTOMIZE_VERSION" > "$LOCAL/bin/kustomize.version"
fi
if ! built kubeconform "$KUBECONFORM_VERSION"; then
  step "kubeconform $KUBECONFORM_VERSION (Go module proxy)"
  GOBIN="$LOCAL/bin" GOFLAGS=-buildvcs=false go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  echo "$KUBECONFORM_VERSION" > "$LOCAL/bin/kubeconform.version"
fi

# vegeta drives `make bench-load`: a Go load generator in a process of its own (a Python
# client saturates before the gateway does on this machine). It sends at a constant rate
# whatever the latency (no coordinated omission), round robin over targets that each carry
# their own credentials, and records every request's status, latency and error.
if ! built vegeta "$VEGETA_VERSION"; then
  step "vegeta $VEGETA_VERSION (Go module proxy)"
  GOBIN="$LOCAL/bin" GOFLAGS=-buildvcs=false go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
  echo "$VEGETA_VERSION" > "$LOCAL/bin/vegeta.version"
fi

step "installed: $(redis-server --version | cut -d' ' -f3), kafka $(cat "$LOCAL/kafka/VERSION"), $("$LOCAL/bin/ferretdb" --version | head -1), jaeger $JAEGER_VERSION, $(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3), kustomize $KUSTOMIZE_VERSION, kubeconform $KUBECONFORM_VERSION, vegeta $VEGETA_VERSION, $(uv --version)"
