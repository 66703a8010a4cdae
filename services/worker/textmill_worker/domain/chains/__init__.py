"""The analysis chains a run may ask for, and the runner that applies them to a shard's
cells.

A chain turns a batch of texts into one JSON-able dict per text. The registry holds one
instance of each (adding a chain is one module and one line in `CHAINS`); their models
load on first use, or at service start-up through `warm_up()`.

`model:<name>` chains are the user's own classifiers (`model.py`), found by name through the
`ModelFolders` the composition root hands to `configure()` (with the pii chain's phone
regions), loaded on first use and again when the model file changes.

`analyse_cells` is where cell content stops being a risk: blank and null-like cells are
skipped, lone surrogates (which no encoder will write) are replaced, and a chain that
fails on a batch is rerun cell by cell, so one bad cell fails alone and the run goes on.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from textmill_contracts.chains import model_of
from textmill_runs.cell_text import analysable
from textmill_runs.costs import CellCosts
from textmill_worker.domain.chains import keywords, language, model, pii, sentiment, stats

# A model's name → its folder when it is there and complete, else None.
ModelFolders = Callable[[str], Path | None]


class Chain(Protocol):
    name: str
    version: str  # semver, recorded in every result

    def analyse(self, texts: list[str]) -> list[dict]:
        """One JSON-able output per text, in order; may raise."""
        ...


CHAINS: dict[str, Chain] = {
    chain.name: chain
    for chain in (
        sentiment.SentimentChain(),
        language.LanguageChain(),
        keywords.KeywordsChain(),
        pii.PiiChain(),
        stats.StatsChain(),
    )
}

MAX_ERROR_CHARS = 500
WARM_UP_TEXT = "Warm up the models: this kettle is lovely, call +44 20 7946 0958."


class UnknownChain(ValueError):
    code = "unknown_chain"

    def __init__(self, unknown: list[str], available: list[str]) -> None:
        self.unknown = unknown
        self.available = available
        super().__init__(
            f"unknown chain(s): {', '.join(unknown)}; available: {', '.join(available)}"
        )


def _no_models(name: str) -> Path | None:
    return None


_model_folders: ModelFolders = _no_models
# name → (the model file's mtime and size when loaded, the chain)
_models: dict[str, tuple[tuple[int, int], Chain]] = {}


def configure(
    *, model_folders: ModelFolders | None = None, phone_regions: tuple[str, ...] | None = None
) -> None:
    """Settings of this process's chains, from its composition root: where models are found,
    and the pii chain's phone regions."""
    global _model_folders
    _model_folders = model_folders or _no_models
    _models.clear()
    if phone_regions:
        CHAINS[pii.NAME] = pii.PiiChain(tuple(phone_regions))


def available() -> list[str]:
    return sorted(CHAINS)


def get_chains(names: list[str], *, column_language: str | None = None) -> list[Chain]:
    """The named chains in the order asked, each once; the language chain with the column's
    language (from the file's profile) as its prior when there is one."""
    wanted = list(dict.fromkeys(names))
    found = {name: CHAINS.get(name) or _model_chain(name) for name in wanted}
    if column_language and language.NAME in found:
        found[language.NAME] = language.LanguageChain(prior=column_language)
    unknown = [name for name, chain in found.items() if chain is None]
    if unknown:
        raise UnknownChain(unknown, available())
    return [found[name] for name in wanted]


def _model_chain(chain: str) -> Chain | None:
    """The `model:<name>` chain, loaded again when its file changed since."""
    name = model_of(chain)
    folder = _model_folders(name) if name else None
    if folder is None:
        return None
    status = (folder / model.MODEL_FILE).stat()
    stamp = (status.st_mtime_ns, status.st_size)
    loaded = _models.get(name)
    if loaded is None or loaded[0] != stamp:
        loaded = _models[name] = (stamp, _load_model(name, folder))
    return loaded[1]


def _load_model(name: str, folder: Path) -> Chain:
    """The model's chain; one whose every cell fails with the reason when it cannot be
    loaded, so that the cells say why and the run goes on (as for any failing chain)."""
    try:
        return model.ModelChain(name, folder)
    except Exception as error:  # ModelError, and onnxruntime's or tokenizers' own
        return model.UnusableModel(name, f"{type(error).__name__}: {error}")


def warm_up() -> None:
    """Build every chain and load its models, so the first shard does not pay for them."""
    for chain in CHAINS.values():
        chain.analyse([WARM_UP_TEXT])


def analyse_cells(
    chains: list[Chain], texts: list[str | None], costs: CellCosts | None = None
) -> list[dict]:
    """One result per cell, in order: {"status", "reason", "chains": {name: output}}; the
    seconds each chain took are added to `costs` (wall time: native code may run in
    threads of its own, which a thread's CPU clock does not see)."""
    cells = [analysable(text) for text in texts]
    results = [
        {"status": "ok", "reason": None, "chains": {}}
        if cell is not None
        else {"status": "skipped", "reason": "empty cell", "chains": {}}
        for cell in cells
    ]
    live = [i for i, cell in enumerate(cells) if cell is not None]
    batch = [cells[i] for i in live]
    if costs is not None:
        costs.count(batch)
    failed: dict[int, list[str]] = {}
    for chain in chains:
        started = time.perf_counter()
        outcomes = _run(chain, batch)
        if costs is not None and batch:
            costs.charge(chain.name, time.perf_counter() - started)
        for i, outcome in zip(live, outcomes, strict=True):
            if isinstance(outcome, str):
                failed.setdefault(i, []).append(chain.name)
                outcome = {"error": outcome}
                if costs is not None:
                    costs.fail(chain.name)
            results[i]["chains"][chain.name] = {"version": chain.version, **outcome}
    for i, names in failed.items():
        results[i]["status"] = "failed"
        results[i]["reason"] = f"failed chains: {', '.join(names)}"
    return results


def _run(chain: Chain, texts: list[str]) -> list[dict | str]:
    """Each text's output, or its error message. The whole batch first (the fast path);
    if that raises, cell by cell, so that one bad cell does not fail the others."""
    if not texts:
        return []
    try:
        return _checked(chain, texts, chain.analyse(texts))
    except Exception:
        return [_run_one(chain, text) for text in texts]


def _run_one(chain: Chain, text: str) -> dict | str:
    try:
        return _checked(chain, [text], chain.analyse([text]))[0]
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]


def _checked(chain: Chain, texts: list[str], outputs: list[dict]) -> list[dict]:
    """A chain that breaks its contract fails like one that raises."""
    if (
        not isinstance(outputs, list)
        or len(outputs) != len(texts)
        or not all(isinstance(output, dict) for output in outputs)
    ):
        raise TypeError(f"chain {chain.name} did not return one dict per text")
    return outputs
