"""The asynchronous client: `AsyncTextmill(url, api_key)`, the same calls as `Textmill`
(textmill_client.client) awaited, and async iterators for results and the live stream."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from textmill_client.client import (
    API,
    auth_headers,
    decode,
    raise_for_problem,
    resolve,
    stream_messages,
)
from textmill_client.errors import TextmillUnavailable
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


class AsyncTextmill:
    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url, self.api_key = resolve(url, api_key)
        self.retry = retry
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=auth_headers(self.api_key),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> "AsyncTextmill":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        body = kwargs.pop("content", None)
        for attempt in range(1, self.retry.attempts + 1):
            content = body() if callable(body) else body
            try:
                response = await self._http.request(method, path, content=content, **kwargs)
            except httpx.TransportError as failure:
                if attempt == self.retry.attempts:
                    raise TextmillUnavailable(f"{self.url}: {failure!r}") from failure
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            if response.status_code in RETRYABLE_STATUSES and attempt < self.retry.attempts:
                await asyncio.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            raise_for_problem(response)
            return response
        raise AssertionError("unreachable")

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return decode(await self._send(method, f"{API}{path}", **kwargs))

    async def upload(
        self, path: str | Path, progress: ProgressCallback | None = None
    ) -> StoredFile:
        upload = MultipartUpload(Path(path), Path(path).name)

        async def body() -> AsyncIterator[bytes]:
            # Reading a chunk of a local file is short: done in the loop, between sends.
            for chunk in upload.chunks(progress):
                yield chunk

        response = await self._json("POST", "/files", content=body, headers=upload.headers)
        return StoredFile.parse(response)

    async def files(self) -> list[StoredFile]:
        return [StoredFile.parse(f) for f in (await self._json("GET", "/files"))["items"]]

    async def profile(self, file_id: str) -> Profile:
        return Profile.parse(await self._json("POST", "/profile", json={"file_id": file_id}))

    async def estimate(self, file_id: str, columns: list[str], chains: list[str]) -> Estimate:
        body = {"file_id": file_id, "columns": columns, "chains": chains}
        return Estimate.parse(await self._json("POST", "/estimate", json=body))

    async def analyze(
        self, file_id: str, columns: list[str], chains: list[str], *, priority: str = "normal"
    ) -> str:
        body = {"file_id": file_id, "columns": columns, "chains": chains, "priority": priority}
        return (await self._json("POST", "/analyze", json=body))["run_id"]

    async def run(self, run_id: str) -> Run:
        return Run.parse(await self._json("GET", f"/runs/{run_id}"))

    async def runs(self) -> list[Run]:
        return [Run.parse(r) for r in (await self._json("GET", "/runs"))["items"]]

    async def cancel(self, run_id: str) -> Run:
        return Run.parse(await self._json("POST", f"/runs/{run_id}/cancel"))

    async def results_page(
        self,
        run_id: str,
        cursor: str | None = None,
        limit: int = 100,
        column: str | None = None,
    ) -> ResultPage:
        params = {"limit": limit, "cursor": cursor, "column": column}
        params = {k: v for k, v in params.items() if v is not None}
        return ResultPage.parse(await self._json("GET", f"/runs/{run_id}/results", params=params))

    async def results(
        self, run_id: str, column: str | None = None, page_size: int = 1000
    ) -> AsyncIterator[ResultItem]:
        cursor = None
        while True:
            page = await self.results_page(run_id, cursor, page_size, column)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def summary(self, run_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/runs/{run_id}/summary")

    async def export(
        self,
        run_id: str,
        path: str | Path,
        format: str = "csv",
        progress: ProgressCallback | None = None,
    ) -> Path:
        target = Path(path)
        partial = target.with_name(f".{target.name}.part")
        url = f"{API}/runs/{run_id}/export"
        async with self._http.stream("GET", url, params={"format": format}) as response:
            if response.is_error:
                await response.aread()
                raise_for_problem(response)
            written = 0
            with partial.open("wb") as out:
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(written, 0)
        partial.replace(target)
        return target

    async def stream(self, run_id: str, from_seq: int = 0) -> AsyncIterator[StreamMessage]:
        place = StreamPlace(last_seq=from_seq)
        failures = 0
        while True:
            before = place.last_seq
            try:
                async for message in self._read_events(run_id, place):
                    for fresh in place.take([message]):
                        yield fresh
                if place.ended:
                    return
                failure: Exception = TextmillUnavailable("the stream closed before the run ended")
            except (httpx.TransportError, TextmillUnavailable) as dropped:
                failure = dropped
            failures = 1 if place.last_seq > before else failures + 1
            if failures >= self.retry.attempts:
                raise TextmillUnavailable(f"stream of run {run_id}: {failure!r}") from None
            await asyncio.sleep(self.retry.delay(failures))

    async def _read_events(self, run_id: str, place: StreamPlace) -> AsyncIterator[StreamMessage]:
        url = f"{API}/runs/{run_id}/events"
        timeout = httpx.Timeout(self._http.timeout.connect, read=90.0)
        async with self._http.stream(
            "GET", url, params={"from_seq": place.last_seq}, timeout=timeout
        ) as response:
            if response.status_code == 204:
                place.ended = True
                return
            if response.is_error:
                await response.aread()
                if response.status_code in RETRYABLE_STATUSES:
                    raise TextmillUnavailable(f"HTTP {response.status_code}")
                raise_for_problem(response)
            decoder = SSEDecoder()
            async for line in response.aiter_lines():
                for message in stream_messages(decoder.feed(line)):
                    yield message

    async def wait(self, run_id: str) -> Run:
        async for _ in self.stream(run_id):
            pass
        return await self.run(run_id)

    async def create_key(self, tenant: str, role: str) -> CreatedKey:
        body = await self._json("POST", "/keys", json={"tenant": tenant, "role": role})
        return CreatedKey.parse(body)

    async def keys(self) -> list[dict[str, Any]]:
        body = await self._json("GET", "/keys")
        return list(body.get("items", [])) if isinstance(body, dict) else list(body or [])
