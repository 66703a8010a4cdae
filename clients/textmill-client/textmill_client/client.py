"""The synchronous client: `Textmill(url, api_key)`. Every call retries 429/503/504 and
connections that fail (with backoff, honouring Retry-After) and raises `TextmillError` with
the problem's code, detail and request id. `AsyncTextmill` (textmill_client.aio) mirrors it."""

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from textmill_client.errors import TextmillError, TextmillUnavailable, problem_error
from textmill_client.models import (
    CreatedKey,
    Estimate,
    Profile,
    ResultItem,
    ResultPage,
    Run,
    StoredFile,
    StreamMessage,
)
from textmill_client.protocol import (
    DEFAULT_RETRY,
    RETRYABLE_STATUSES,
    MultipartUpload,
    ProgressCallback,
    RetryPolicy,
    SSEDecoder,
    StreamPlace,
)

DEFAULT_URL = "http://127.0.0.1:8000"
API = "/api/v2"


def resolve(url: str | None, api_key: str | None) -> tuple[str, str | None]:
    """The URL and key given, else `TEXTMILL_URL` and `TEXTMILL_API_KEY`."""
    url = url or os.environ.get("TEXTMILL_URL") or DEFAULT_URL
    return url.rstrip("/"), api_key or os.environ.get("TEXTMILL_API_KEY")


def auth_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def decode(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def raise_for_problem(response: httpx.Response) -> None:
    if response.is_error:
        raise problem_error(
            response.status_code, decode(response), response.headers.get("x-request-id")
        )


def stream_messages(event: tuple[str | None, str, str] | None) -> list[StreamMessage]:
    """The stream message an SSE event carries (none for keep-alives); an `error` event is
    the problem that ended the stream, raised."""
    if event is None:
        return []
    _, kind, data = event
    if not data.strip():  # the gateway's keep-alive is a comment with an empty data line
        return []
    try:
        body = json.loads(data)
    except ValueError:
        raise TextmillError("bad_stream_message", f"not JSON: {data[:200]!r}") from None
    if kind == "error":
        raise problem_error(body.get("status") or 500, body, body.get("correlation_id"))
    return [StreamMessage(seq=int(body["seq"]), type=body["type"], data=body["data"])]


class Textmill:
    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url, self.api_key = resolve(url, api_key)
        self.retry = retry
        self._http = httpx.Client(
            base_url=self.url,
            headers=auth_headers(self.api_key),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> "Textmill":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- plumbing ------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, retried on 429/503/504 and on failed connections. `content` may be
        a callable making the body anew for each attempt (a streamed upload)."""
        body = kwargs.pop("content", None)
        for attempt in range(1, self.retry.attempts + 1):
            content = body() if callable(body) else body
            try:
                response = self._http.request(method, path, content=content, **kwargs)
            except httpx.TransportError as failure:
                if attempt == self.retry.attempts:
                    raise TextmillUnavailable(f"{self.url}: {failure!r}") from failure
                time.sleep(self.retry.delay(attempt))
                continue
            if response.status_code in RETRYABLE_STATUSES and attempt < self.retry.attempts:
                time.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            raise_for_problem(response)
            return response
        raise AssertionError("unreachable")

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return decode(self._send(method, f"{API}{path}", **kwargs))

    # -- files, profiles, estimates --------------------------------------------------------

    def upload(self, path: str | Path, progress: ProgressCallback | None = None) -> StoredFile:
        """Uploads a tabular file, streamed from disk; `progress(sent, total)` as it goes."""
        upload = MultipartUpload(Path(path), Path(path).name)
        body = self._json(
            "POST",
            "/files",
            content=lambda: upload.chunks(progress),
            headers=upload.headers,
        )
        return StoredFile.parse(body)

    def files(self) -> list[StoredFile]:
        return [StoredFile.parse(f) for f in self._json("GET", "/files")["items"]]

    def profile(self, file_id: str) -> Profile:
        return Profile.parse(self._json("POST", "/profile", json={"file_id": file_id}))

    def estimate(self, file_id: str, columns: list[str], chains: list[str]) -> Estimate:
        body = {"file_id": file_id, "columns": columns, "chains": chains}
        return Estimate.parse(self._json("POST", "/estimate", json=body))

    # -- runs -------------------------------------------------------------------------------

    def analyze(
        self, file_id: str, columns: list[str], chains: list[str], *, priority: str = "normal"
    ) -> str:
        """Starts a run; returns its id. `priority`: high, normal or low (whose shards the
        workers get first)."""
        body = {"file_id": file_id, "columns": columns, "chains": chains, "priority": priority}
        return self._json("POST", "/analyze", json=body)["run_id"]

    def run(self, run_id: str) -> Run:
        return Run.parse(self._json("GET", f"/runs/{run_id}"))

    def runs(self) -> list[Run]:
        return [Run.parse(r) for r in self._json("GET", "/runs")["items"]]

    def cancel(self, run_id: str) -> Run:
        return Run.parse(self._json("POST", f"/runs/{run_id}/cancel"))

    def results_page(
        self,
        run_id: str,
        cursor: str | None = None,
        limit: int = 100,
        column: str | None = None,
    ) -> ResultPage:
        params = {"limit": limit, "cursor": cursor, "column": column}
        params = {k: v for k, v in params.items() if v is not None}
        return ResultPage.parse(self._json("GET", f"/runs/{run_id}/results", params=params))

    def results(
        self, run_id: str, column: str | None = None, page_size: int = 1000
    ) -> Iterator[ResultItem]:
        """Every stored result of the run, page after page."""
        cursor = None
        while True:
            page = self.results_page(run_id, cursor, page_size, column)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def summary(self, run_id: str) -> dict[str, Any]:
        return self._json("GET", f"/runs/{run_id}/summary")

    def export(
        self,
        run_id: str,
        path: str | Path,
        format: str = "csv",
        progress: ProgressCallback | None = None,
    ) -> Path:
        """The run's rows and results, streamed into `path` (written whole or not at all);
        `progress(bytes, 0)` as it goes (the total is not known ahead)."""
        target = Path(path)
        partial = target.with_name(f".{target.name}.part")
        url = f"{API}/runs/{run_id}/export"
        with self._http.stream("GET", url, params={"format": format}) as response:
            if response.is_error:
                response.read()
                raise_for_problem(response)
            written = 0
            with partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(written, 0)
        partial.replace(target)
        return target

    def stream(self, run_id: str, from_seq: int = 0) -> Iterator[StreamMessage]:
        """The run's live stream (SSE) from after `from_seq`: every message once, in order,
        up to the run's final status and the results that follow it. A dropped connection
        is resumed after the last message yielded; `retry.attempts` drops in a row with
        nothing read between them raise TextmillUnavailable."""
        place = StreamPlace(last_seq=from_seq)
        failures = 0
        while True:
            before = place.last_seq
            try:
                yield from place.take(self._read_events(run_id, place))
                if place.ended:
                    return
                failure: Exception = TextmillUnavailable("the stream closed before the run ended")
            except (httpx.TransportError, TextmillUnavailable) as dropped:
                failure = dropped
            failures = 1 if place.last_seq > before else failures + 1
            if failures >= self.retry.attempts:
                raise TextmillUnavailable(f"stream of run {run_id}: {failure!r}") from None
            time.sleep(self.retry.delay(failures))

    def _read_events(self, run_id: str, place: StreamPlace) -> Iterator[StreamMessage]:
        url = f"{API}/runs/{run_id}/events"
        timeout = httpx.Timeout(self._http.timeout.connect, read=90.0)
        with self._http.stream(
            "GET", url, params={"from_seq": place.last_seq}, timeout=timeout
        ) as response:
            if response.status_code == 204:  # nothing after it: the stream had ended
                place.ended = True
                return
            if response.is_error:
                response.read()
                if response.status_code in RETRYABLE_STATUSES:
                    raise TextmillUnavailable(f"HTTP {response.status_code}")
                raise_for_problem(response)
            decoder = SSEDecoder()
            for line in response.iter_lines():
                yield from stream_messages(decoder.feed(line))

    def wait(self, run_id: str) -> Run:
        """Follows the run's stream to its end; returns the run as it ended."""
        for _ in self.stream(run_id):
            pass
        return self.run(run_id)

    # -- keys -------------------------------------------------------------------------------

    def create_key(self, tenant: str, role: str) -> CreatedKey:
        """A new key for `tenant` with `role` (admin only); the key is shown this once."""
        return CreatedKey.parse(self._json("POST", "/keys", json={"tenant": tenant, "role": role}))

    def keys(self) -> list[dict[str, Any]]:
        """The tenant's keys (without their secrets), where the gateway lists them."""
        body = self._json("GET", "/keys")
        return list(body.get("items", [])) if isinstance(body, dict) else list(body or [])


__all__ = ["Textmill", "TextmillError"]
