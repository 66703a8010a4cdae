"""Errors of reading tabular files, each with a stable code (the gateway's error table maps
it to an answer); `row` and `column` say where the file broke when that is known."""

from typing import ClassVar


class TabularError(Exception):
    """A file that cannot be read as a table."""

    code: ClassVar[str] = "tabular_error"

    def __init__(self, detail: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.row = row
        self.column = column


class UnsupportedFormat(TabularError):
    """The content is none of the readable formats: an image, a PDF, a random ZIP, legacy .xls..."""

    code = "unsupported_format"


class MalformedFile(TabularError):
    """The format is known but the content is broken: ragged rows, invalid JSON, a corrupt file."""

    code = "malformed_file"


class TooLarge(TabularError):
    """The table exceeds a limit: too many columns, a field or a row too long."""

    code = "too_large"


class UnknownColumn(TabularError):
    """A caller asked for columns the table does not have."""

    code = "unknown_column"
