"""A tiny ONNX sentiment classifier and its tokenizer, built from nothing for the tests of
`model:<name>` chains: a word-level tokenizer trained on a few reviews, and a graph that sums
one score vector per token (the `onnx` helper API), so a word's polarity decides the label."""

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

LABELS = ["negative", "neutral", "positive"]
TRAINING_TEXT = [
    "great kettle, boils fast and looks lovely",
    "awful kettle, broke after a week",
    "the lid is fine and the handle is fine",
    "love it, excellent value, great buy",
    "terrible support, bad quality, awful smell",
]
POSITIVE = {"great", "lovely", "love", "excellent", "fast"}
NEGATIVE = {"awful", "broke", "terrible", "bad"}


def build_model(folder: Path, *, labels: list[str] = LABELS, opset: int = 17) -> Path:
    """Write model.onnx, tokenizer.json and labels.json into `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer()
    tokenizer.save(str(folder / "tokenizer.json"))
    vocab = tokenizer.get_vocab()
    weights = np.zeros((len(vocab), len(labels)), dtype=np.float32)
    # Outputs in the order of LABELS, whatever `labels` calls them: negative, neutral,
    # positive; every token leans neutral a little.
    weights[:, 1] = 0.1
    for word, index in vocab.items():
        if word in POSITIVE:
            weights[index, 2] = 2.0
        elif word in NEGATIVE:
            weights[index, 0] = 2.0
    onnx.save(_graph(weights, opset), str(folder / "model.onnx"))
    (folder / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    return folder


def _train_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]"])
    tokenizer.train_from_iterator(TRAINING_TEXT, trainer)
    return tokenizer


def _graph(weights: np.ndarray, opset: int) -> onnx.ModelProto:
    """logits[b] = Σ_t mask[b, t] · weights[input_ids[b, t]]."""
    embedding = helper.make_tensor("embedding", TensorProto.FLOAT, weights.shape, weights.ravel())
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    last = helper.make_tensor("last", TensorProto.INT64, [1], [2])
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["scores"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "last"], ["mask3"]),
        helper.make_node("Mul", ["scores", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axes"], ["logits"], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-sentiment",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", weights.shape[1]])],
        initializer=[embedding, axes, last],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
