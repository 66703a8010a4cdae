"""`make bench-quality`: the chains' quality on the labelled sets of bench/data, and their
speed, in this process (no stack needed), with the chains of the commit before issue 23
(read from git) measured beside them.

- language: every engine (lingua in both modes, fastText's lid.176 as written and
  lowercased, and the chain: lowercased with the column's prior and the threshold) on
  bench/data/language.tsv: English review titles of 1-8 words, short texts of 8 other
  languages, long texts of all 9; the share right, null (`und`) and wrong per group.
- pii: precision and recall per type on bench/data/pii.jsonl (`python -m bench.pii_set`).
- throughput: cells/s of each chain, before and after, on the language set's texts.
Writes the tables to bench/results/quality.md.
"""

import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from lingua import LanguageDetectorBuilder

from textmill_worker.domain.chains import keywords, language, pii, stats

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results" / "quality.md"
BEFORE = "bd1c320"  # main before issue 23
CHAINS_DIR = "services/worker/textmill_worker/domain/chains"
ROUNDS = 3


def language_rows() -> list[dict]:
    with (DATA / "language.tsv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def group(row: dict) -> str:
    return {"title": "en titles 1-8 words", "short": "short, 8 languages"}.get(
        row["length"], "long, 9 languages"
    )


def lingua_engine(low: bool):
    builder = LanguageDetectorBuilder.from_all_languages()
    detector = (
        (builder.with_low_accuracy_mode() if low else builder)
        .with_preloaded_language_models()
        .build()
    )

    def guess(texts: list[str]) -> list[str | None]:
        out = []
        for values in detector.compute_language_confidence_values_in_parallel(texts):
            best = values[0] if values else None
            out.append(
                best.language.iso_code_639_1.name.lower() if best and best.value > 0 else None
            )
        return out

    return guess


def fasttext_engine(lower: bool):
    def guess(texts: list[str]) -> list[str | None]:
        out = []
        for text in texts:
            found = language.predict(text, 1) if lower else _raw(text)
            out.append(max(found, key=found.get) if found else None)
        return out

    return guess


def _raw(text: str) -> dict[str, float]:
    labels, probabilities = language.model().predict(" ".join(text.split()), k=1)
    return {label[9:]: float(p) for label, p in zip(labels, probabilities, strict=True)}


def chain_engine(prior: bool):
    """The chain as a run uses it: each group of one language is a column (its prior), or
    each text alone (a quick analysis of one text: no prior)."""

    def guess_rows(rows: list[dict]) -> list[str | None]:
        if not prior:
            return [language.judge(row["text"])["language"] for row in rows]
        out: dict[int, str | None] = {}
        columns: dict[tuple, list[int]] = {}
        for i, row in enumerate(rows):
            columns.setdefault((row["language"], row["length"]), []).append(i)
        for indexes in columns.values():
            for start in range(0, len(indexes), 1000):
                batch = indexes[start : start + 1000]
                results = language.LanguageChain().analyse([rows[i]["text"] for i in batch])
                out.update({i: r["language"] for i, r in zip(batch, results, strict=True)})
        return [out[i] for i in range(len(rows))]

    return guess_rows


def language_table(rows: list[dict]) -> list[str]:
    engines = {
        "lingua, low accuracy (before)": lingua_engine(True),
        "lingua, high accuracy": lingua_engine(False),
        "fastText lid.176, as written": fasttext_engine(False),
        "fastText lid.176, lowercased": fasttext_engine(True),
    }
    chains = {
        "chain: text alone (quick analysis of one text)": chain_engine(False),
        "chain: column prior (a run's batch) — the chain": chain_engine(True),
    }
    groups = ["en titles 1-8 words", "short, 8 languages", "long, 9 languages"]
    lines = [
        "| engine | " + " | ".join(f"{g}: right / null / wrong" for g in groups) + " | texts/s |",
        "| --- | " + " | ".join("---:" for _ in groups) + " | ---: |",
    ]
    texts = [row["text"] for row in rows]
    for name, engine in [*engines.items(), *chains.items()]:
        arg = rows if name.startswith("chain") else texts
        engine(arg[:20])
        rate = 0.0
        for _ in range(ROUNDS):  # the best of ROUNDS: the machine is shared
            started = time.perf_counter()
            guesses = engine(arg)
            rate = max(rate, len(rows) / (time.perf_counter() - started))
        counts: dict[str, Counter] = {g: Counter() for g in groups}
        for row, guess in zip(rows, guesses, strict=True):
            verdict = "right" if guess == row["language"] else "null" if guess is None else "wrong"
            counts[group(row)][verdict] += 1
        cells = []
        for g in groups:
            total = sum(counts[g].values())
            cells.append(
                " / ".join(f"{counts[g][v] / total:.1%}" for v in ("right", "null", "wrong"))
            )
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {rate:,.0f} |")
    return lines


def pii_table() -> list[str]:
    cases = [json.loads(line) for line in (DATA / "pii.jsonl").open(encoding="utf-8")]
    found, expected, right = Counter(), Counter(), Counter()
    for case in cases:
        got = {(e["type"], e["text"]) for e in pii.analyse_text(case["text"])["entities"]}
        want = {(e["type"], e["text"]) for e in case["entities"]}
        found.update(kind for kind, _ in got)
        expected.update(kind for kind, _ in want)
        right.update(kind for kind, _ in got & want)
    lines = [
        f"{len(cases)} texts ({sum(1 for c in cases if not c['entities'])} without personal data).",
        "",
        "| type | expected | found | precision | recall |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind in sorted(expected | found):
        precision = right[kind] / found[kind] if found[kind] else 1.0
        recall = right[kind] / expected[kind] if expected[kind] else 1.0
        lines.append(
            f"| {kind} | {expected[kind]} | {found[kind]} | {precision:.3f} | {recall:.3f} |"
        )
    return lines


def chains_before() -> dict[str, object]:
    """The chains of commit BEFORE, loaded from git as modules of their own."""
    folder = Path(tempfile.mkdtemp(prefix="chains-before-"))
    loaded = {}
    for name in ("pii", "language", "keywords", "stats"):
        source = subprocess.run(
            ["git", "show", f"{BEFORE}:{CHAINS_DIR}/{name}.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if name == "stats":
            source = source.replace("textmill_worker.domain.chains.pii", "before_pii")
        path = folder / f"before_{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(f"before_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"before_{name}"] = module
        spec.loader.exec_module(module)
        loaded[name] = module
    return loaded


def throughput_table(rows: list[dict]) -> list[str]:
    before = chains_before()
    texts = [row["text"] for row in rows] * 4
    pairs = {
        "language": (before["language"].LanguageChain(), language.LanguageChain()),
        "keywords": (before["keywords"].KeywordsChain(), keywords.KeywordsChain()),
        "pii": (before["pii"].PiiChain(), pii.PiiChain()),
        "stats": (before["stats"].StatsChain(), stats.StatsChain()),
    }
    lines = [
        f"{len(texts):,} cells (the language set's texts, 4 times), batches of 1,000, one "
        f"process; the best of {ROUNDS} rounds, before and after alternating.",
        "",
        "| chain | before cells/s | after cells/s | after ÷ before |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, (old, new) in pairs.items():
        rates = [0.0, 0.0]
        for chain in (old, new):
            chain.analyse(texts[:1000])  # models and lazily loaded data (phone regions)
        for _ in range(ROUNDS):  # alternating, best of each: the machine is shared
            for side, chain in enumerate((old, new)):
                started = time.perf_counter()
                for start in range(0, len(texts), 1000):
                    chain.analyse(texts[start : start + 1000])
                rates[side] = max(rates[side], len(texts) / (time.perf_counter() - started))
        lines.append(f"| {name} | {rates[0]:,.0f} | {rates[1]:,.0f} | {rates[1] / rates[0]:.2f}× |")
    return lines


def main() -> None:
    rows = language_rows()
    counts = Counter(row["language"] for row in rows)
    sections = [
        "## Language",
        "",
        f"{len(rows)} labelled texts in {len(counts)} languages (bench/data/language.tsv): "
        f"{sum(r['length'] == 'title' for r in rows)} English review titles of 1-8 words, "
        f"{sum(r['length'] == 'short' for r in rows)} short and "
        f"{sum(r['length'] == 'long' for r in rows)} long texts. Per group, the share "
        "right, null (`und`) and wrong; texts/s in one process, the best of 3 rounds.",
        "",
        *language_table(rows),
        "",
        "## PII",
        "",
        *pii_table(),
        "",
        "## Throughput, before and after",
        "",
        *throughput_table(rows),
    ]
    text = "\n".join(sections) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
