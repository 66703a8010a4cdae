"""What the sync and the async client share, without I/O: when to retry and how long to
wait, the multipart framing of a streamed upload, decoding Server-Sent Events, and the
stream reader's place (last sequence number seen, whether the run's final status came)."""

import email.utils
import mimetypes
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from textmill_client.models import StreamMessage

# 429: rate limited; 503: the service is not ready or asks for a retry (cancel_pending);
# 504: a service did not answer over Kafka in time. Each is safe to send again.
RETRYABLE_STATUSES = frozenset({429, 503, 504})
UPLOAD_CHUNK_BYTES = 256 * 1024

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes sent so far, bytes in all) as an upload or an export moves on."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff with full jitter between `base` and `cap` seconds; a
    `Retry-After` from the server is honoured instead (up to `max_wait`)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 10.0
    max_wait: float = 60.0

    def delay(
        self, attempt: int, retry_after: str | None = None, now: float | None = None
    ) -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
        told = parse_retry_after(retry_after, time.time() if now is None else now)
        if told is not None:
            return min(told, self.max_wait)
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None when absent or
    not understood."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class MultipartUpload:
    """A file as the `file` part of a multipart body, framed so that its bytes are read and
    sent a chunk at a time, with a known Content-Length."""

    path: Path
    filename: str
    boundary: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def head(self) -> bytes:
        kind = mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        name = self.filename.replace('"', "%22").replace("\r", "").replace("\n", "")
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        ).encode()

    @property
    def tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def headers(self) -> dict[str, str]:
        length = len(self.head) + self.size + len(self.tail)
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(length),
        }

    def chunks(self, progress: ProgressCallback | None) -> Iterator[bytes]:
        total, sent = self.size, 0
        yield self.head
        with self.path.open("rb") as source:
            while chunk := source.read(UPLOAD_CHUNK_BYTES):
                sent += len(chunk)
                yield chunk
                if progress is not None:
                    progress(sent, total)
        yield self.tail


@dataclass
class SSEDecoder:
    """Server-Sent Events from lines: `feed(line)` returns an event (id, event, data) at
    each blank line that ends one, else None. Comments (keep-alives) are dropped."""

    _id: str | None = None
    _event: str = "message"
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> tuple[str | None, str, str] | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._data:
                self._event = "message"
                return None
            event = (self._id, self._event, "\n".join(self._data))
            self._event, self._data = "message", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        return None


@dataclass
class StreamPlace:
    """Where a reader of a run's stream is: the last sequence number it yielded (it resumes
    after it) and whether the run's final status has come. `take` drops what it has had."""

    last_seq: int = 0
    ended: bool = False

    def take(self, messages: Iterable[StreamMessage]) -> Iterator[StreamMessage]:
        for message in messages:
            if message.seq <= self.last_seq:
                continue
            self.last_seq = message.seq
            self.ended = self.ended or message.is_final
            yield message
