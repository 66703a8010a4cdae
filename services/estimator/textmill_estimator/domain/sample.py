"""What a file's sample says of the cells a run would analyse: a few windows of rows spread
over the whole file (an estimate never reads the whole file), and per column how many of
the rows hold a cell to analyse and how long those cells are."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from textmill_estimator.domain.costs import NO_CELLS, CellLoad
from textmill_runs.cell_text import analysable
from textmill_runs.pace import ColumnLength

CALIBRATION_TEXTS = 100  # of each column's sampled cells, run to calibrate the chains


@dataclass
class ColumnSample:
    rows: int = 0
    cells: int = 0
    chars: int = 0
    chars_squared: float = 0.0
    texts: list[str] = field(default_factory=list)  # the cells, in the file's order

    def add(self, values: Iterable[object]) -> None:
        for value in values:
            self.rows += 1
            text = analysable(value)
            if text is None:
                continue
            n = len(text)
            self.cells += 1
            self.chars += n
            self.chars_squared += n * n
            self.texts.append(text)

    @property
    def length(self) -> ColumnLength:
        """What the coordinator samples of a column to size its shards, from the same rows."""
        return ColumnLength(self.rows, self.cells, self.chars)

    def calibration_texts(self, n: int = CALIBRATION_TEXTS) -> list[str]:
        """`n` of the sampled cells, evenly spread over the sample (so over the file): the
        first ones alone may be another kind of text than the rest."""
        if len(self.texts) <= n:
            return list(self.texts)
        step = len(self.texts) / n
        return [self.texts[int(i * step)] for i in range(n)]

    def calibration_load(self) -> CellLoad:
        """The cells `calibration_texts` gives: what a calibration of this column measures,
        and so the length whose coverage says whether one is needed (a heavy tail of long
        cells, rarely among them, would otherwise leave the column never covered)."""
        picked = ColumnSample()
        picked.add(self.calibration_texts())
        return picked.own_load()

    def own_load(self) -> CellLoad:
        """The sampled cells themselves."""
        return CellLoad(self.cells, self.chars, self.chars_squared)

    def load(self, rows: float) -> CellLoad:
        """What `rows` rows of this column hold, by the sample's proportions."""
        if not self.rows:
            return NO_CELLS
        share = rows / self.rows
        return CellLoad(self.cells * share, self.chars * share, self.chars_squared * share)
