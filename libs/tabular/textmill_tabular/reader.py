"""What every format reader offers, and the limits that keep its memory bounded.

A new format (Parquet, JSON, Excel) is one more TableReader subclass in its own module.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Self

from textmill_tabular.detection import Dialect


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Bounds on one table; `max_row_chars` also bounds the memory one record can take."""

    max_columns: int = 1000
    max_field_chars: int = 1_000_000
    max_row_chars: int = 8_000_000

    def __post_init__(self) -> None:
        if min(self.max_columns, self.max_field_chars, self.max_row_chars) < 1:
            raise ValueError(f"limits must be positive: {self}")
        if self.max_row_chars < self.max_field_chars:
            raise ValueError(
                f"max_row_chars ({self.max_row_chars:,}) must be at least "
                f"max_field_chars ({self.max_field_chars:,})"
            )


class TableReader(ABC):
    """An open table: use it as a context manager; `rows()` streams once."""

    dialect: Dialect
    header: list[str]

    @abstractmethod
    def rows(self) -> Iterator[list[str]]:
        """Data rows (not the header), lazily, each exactly `len(header)` long."""

    @abstractmethod
    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def unique_names(raw: list[str]) -> list[str]:
    """Header names made unique, deterministically.

    A blank name becomes `column_<position>` (1-based); a repeated name becomes `name_2`,
    `name_3`... Generated names step around names the file itself uses, so real names survive.
    """
    real = {name for name in raw if name.strip()}
    taken: set[str] = set()
    names: list[str] = []
    for position, name in enumerate(raw, start=1):
        generated = not name.strip()
        candidate = f"column_{position}" if generated else name
        if candidate in taken or (generated and candidate in real):
            candidate = _next_free(candidate, taken | real)
        taken.add(candidate)
        names.append(candidate)
    return names


def _next_free(name: str, used: set[str]) -> str:
    number = 2
    while f"{name}_{number}" in used:
        number += 1
    return f"{name}_{number}"
