"""Receives a multipart upload as a stream, into a temporary file, hashing as it goes.

Nothing is stored until the whole file has arrived and been validated, so a broken or
oversized upload leaves nothing behind. Memory stays bounded: parts go to disk in the
chunks the client sends them in.
"""

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from litestar import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from textmill_gateway.domain.refusals import Refusal, invalid_request

FILE_FIELD = "file"
MAX_FIELD_BYTES = 1024  # a form field besides the file (a column's name)


@dataclass
class ReceivedUpload:
    path: Path
    filename: str
    content_type: str
    size: int = 0
    sha256: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # the `wanted` text fields sent


@dataclass
class _PartState:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: bytes = b""
    header_value: bytes = b""
    is_file: bool = False
    text_field: str = ""  # the name of a wanted text field this part is
    filename: str = ""
    content_type: str = "application/octet-stream"


class _FormSink:
    """python-multipart callbacks that copy the one `file` part to disk, size-bounded."""

    def __init__(self, target, max_bytes: int, wanted: tuple[str, ...] = ()) -> None:
        self.target, self.max_bytes, self.wanted = target, max_bytes, wanted
        self.fields: dict[str, bytearray] = {}
        self.part = _PartState()
        self.upload: ReceivedUpload | None = None
        self.digest = hashlib.sha256()
        self.size = 0
        self.ended = False  # the closing boundary came

    def on_part_begin(self) -> None:
        self.part = _PartState()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.field_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self.part.field_name.lower()] = self.part.header_value
        self.part.field_name, self.part.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name in self.wanted and b"filename" not in options:
            self.part.text_field = name
            self.fields[name] = bytearray()
            return
        if name != FILE_FIELD or b"filename" not in options:
            return
        if self.upload is not None:
            raise invalid_request("send exactly one 'file' part")
        self.part.is_file = True
        self.upload = ReceivedUpload(
            path=Path(self.target.name),
            filename=Path(options[b"filename"].decode("utf-8", "replace")).name[:255] or "upload",
            content_type=self.part.headers.get(b"content-type", b"application/octet-stream")
            .decode("latin-1")
            .strip(),
        )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part.text_field:
            value = self.fields[self.part.text_field]
            value += data[start:end]
            if len(value) > MAX_FIELD_BYTES:
                raise invalid_request(
                    f"the form field {self.part.text_field!r} is over {MAX_FIELD_BYTES} bytes"
                )
            return
        if not self.part.is_file:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise Refusal(
                "file_too_large",
                f"the file is larger than the limit of {self.max_bytes} bytes",
            )
        self.digest.update(chunk)
        self.target.write(chunk)

    def on_end(self) -> None:
        self.ended = True

    def callbacks(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "on_part_begin",
                "on_header_field",
                "on_header_value",
                "on_header_end",
                "on_headers_finished",
                "on_part_data",
                "on_end",
            )
        }


async def receive_upload(
    request: Request, max_bytes: int, workdir: Path, wanted: tuple[str, ...] = ()
) -> ReceivedUpload:
    """Stream the request's `file` part to a temporary file, and keep the text fields named
    in `wanted`. The caller deletes `path`."""
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    if media_type != b"multipart/form-data" or b"boundary" not in options:
        raise Refusal("unsupported_media_type", "upload the file as multipart/form-data")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
        raise Refusal("file_too_large", f"the file is larger than the limit of {max_bytes} bytes")

    target = tempfile.NamedTemporaryFile(dir=workdir, prefix="upload-", delete=False)
    sink = _FormSink(target, max_bytes, wanted)
    try:
        parser = MultipartParser(options[b"boundary"], sink.callbacks())
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if not sink.ended:
            # python-multipart does not check it (its finalize() is a no-op): without this,
            # a body cut short would be stored as if it were the whole file.
            raise MultipartParseError("it ends before its closing boundary (cut short?)")
    except MultipartParseError as exc:
        _discard(target)
        raise invalid_request(f"the multipart body is malformed: {exc}") from exc
    except BaseException:
        _discard(target)
        raise
    target.close()
    if sink.upload is None:
        Path(target.name).unlink(missing_ok=True)
        raise invalid_request("the form has no 'file' part with a filename")
    sink.upload.size, sink.upload.sha256 = sink.size, sink.digest.hexdigest()
    try:
        sink.upload.fields = {name: bytes(v).decode() for name, v in sink.fields.items()}
    except UnicodeDecodeError:
        sink.upload.path.unlink(missing_ok=True)
        raise invalid_request("a form field is not UTF-8 text") from None
    return sink.upload


def _discard(target) -> None:
    target.close()
    Path(target.name).unlink(missing_ok=True)
