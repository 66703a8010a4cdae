"""`model:<name>` chains: a user's own ONNX sequence classifier from the models folder,
run with onnxruntime and tokenized with the `tokenizers` library.

Choices:
- The folder holds `model.onnx`, `tokenizer.json` and the labels: `labels.json` (a list,
  in the order of the model's outputs) or the `id2label` of a Hugging Face `config.json`.
- `version` is the first 16 hex digits of the model file's SHA-256: a result says which
  weights made it, whatever the folder is called.
- Texts go through in batches of `BATCH` (padded to the longest, truncated to the
  tokenizer's limit or `MAX_TOKENS`), one onnxruntime thread per chain process: the
  worker's processes are its parallelism.
- The model's inputs are fed by name: `input_ids`, `attention_mask` and, when the model
  has it, `token_type_ids` (zeros).
- The first output holds a score per label: logits get a softmax; rows already summing to
  1 are kept as they are.
- `label` is positive, negative or neutral when the model's label says so ("POSITIVE",
  "neg", "Neutral"), the model's own label otherwise; `model_label` is always the model's.
  `confidence` is the label's probability; `probabilities` holds every label's, rounded to
  4 places.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from textmill_contracts.chains import model_chain
from textmill_infra.models import LABEL_FILES, MODEL_FILE, TOKENIZER_FILE

BATCH = 32
MAX_TOKENS = 512
SENTIMENTS = {
    "positive": "positive",
    "pos": "positive",
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
}


class ModelError(ValueError):
    """A model folder that cannot be run: its code names the problem for the result."""

    code = "model_unusable"


class ModelChain:
    def __init__(self, name: str, folder: Path) -> None:
        self.name = model_chain(name)
        model = folder / MODEL_FILE
        self.version = file_digest(model)[:16]
        self.labels = read_labels(folder)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= self._inputs:
            raise ModelError(f"{self.name}: the model needs input_ids and attention_mask inputs")
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        if self._tokenizer.truncation is None:
            self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=self._pad_id())

    def analyse(self, texts: list[str]) -> list[dict]:
        results: list[dict] = []
        for start in range(0, len(texts), BATCH):
            results += [self._result(row) for row in self._scores(texts[start : start + BATCH])]
        return results

    def _scores(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.labels)))
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        scores = np.asarray(self._session.run(None, feed)[0], dtype=np.float64)
        if scores.ndim != 2 or scores.shape[1] != len(self.labels):
            raise ModelError(
                f"{self.name}: {len(self.labels)} labels, but the model gave scores of shape "
                f"{scores.shape}"
            )
        return scores if _are_probabilities(scores) else _softmax(scores)

    def _result(self, probabilities: np.ndarray) -> dict:
        best = int(np.argmax(probabilities))
        own = self.labels[best]
        return {
            "label": SENTIMENTS.get(own.strip().lower(), own),
            "model_label": own,
            "confidence": round(float(probabilities[best]), 4),
            "probabilities": {
                label: round(float(p), 4)
                for label, p in zip(self.labels, probabilities, strict=True)
            },
        }

    def _pad_id(self) -> int:
        for token in ("[PAD]", "<pad>", "<PAD>"):
            if (pad := self._tokenizer.token_to_id(token)) is not None:
                return pad
        return 0


class UnusableModel:
    """A model folder that could not be loaded: every text fails with the reason."""

    version = "unusable"

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = model_chain(name), reason

    def analyse(self, texts: list[str]) -> list[dict]:
        raise ModelError(f"{self.name} cannot be loaded: {self.reason}")


def read_labels(folder: Path) -> list[str]:
    """The labels in the order of the model's outputs."""
    for name in LABEL_FILES:
        path = folder / name
        if not path.is_file():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):  # a Hugging Face config
            data = data.get("id2label", {})
            data = [data[key] for key in sorted(data, key=int)]
        if isinstance(data, list) and data and all(isinstance(x, str) for x in data):
            return data
        raise ModelError(f"{path.name} holds no list of labels")
    raise ModelError(f"no {' or '.join(LABEL_FILES)} in {folder.name}")


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _are_probabilities(scores: np.ndarray) -> bool:
    return bool(np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3))


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
