"""Container health probe: exit 0 when `GET http://127.0.0.1:<port><path>` answers 200.

    python /app/deploy/docker/healthcheck.py [/healthz | /readyz]

The service comes from TEXTMILL_SERVICE and its port from the same settings the service
itself reads (TEXTMILL_GATEWAY_PORT for the gateway, TEXTMILL_HTTP_PORT or the per-service
default for the others), so the probe follows any port override.
"""

import os
import sys
import urllib.error
import urllib.request

from textmill_infra.settings import DEFAULT_HTTP_PORTS, Settings


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    service = os.environ.get("TEXTMILL_SERVICE", "")
    if service not in DEFAULT_HTTP_PORTS:
        print(f"healthcheck: unknown TEXTMILL_SERVICE {service!r}", file=sys.stderr)
        return 1
    url = f"http://127.0.0.1:{Settings().port_for(service)}{path}"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            status = response.status
    except urllib.error.HTTPError as error:  # e.g. 503 from /readyz: print why
        print(f"healthcheck: {url} -> {error.code} {error.read(500)!r}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"healthcheck: {url} -> {error}", file=sys.stderr)
        return 1
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
