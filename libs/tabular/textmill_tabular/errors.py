"""Errors of reading tabular files: each has a stable code and the HTTP status the gateway answers.

The gateway turns these into problem documents in one place; `row` and `column` say where the
file broke when that is known.
"""

from typing import ClassVar


class TabularError(Exception):
    """A file that cannot be read as a table."""

    code: ClassVar[str] = "tabular_error"
    status: ClassVar[int] = 400

    def __init__(self, detail: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.row = row
        self.column = column


class UnsupportedFormat(TabularError):
    """The content is not CSV/TSV: binary, an archive, JSON..."""

    code = "unsupported_format"
    status = 415


class MalformedFile(TabularError):
    """The content is CSV/TSV but broken: ragged rows, an unclosed quote, undecodable bytes."""

    code = "malformed_file"
    status = 422


class TooLarge(TabularError):
    """The table exceeds a limit: too many columns, a field or a row too long."""

    code = "too_large"
    status = 413
