"""The models folder (`TEXTMILL_MODELS_DIR`): one sub-folder per model, named as its chain is
(`model:<folder>`), holding `model.onnx`, `tokenizer.json` and its labels (`labels.json`,
or the `id2label` of a Hugging Face `config.json`). The gateway lists it to accept a
chain, the worker loads from it: both read the same folder, neither asks the other."""

import re
from pathlib import Path

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LABEL_FILES = ("labels.json", "config.json")
# A folder name is a chain name: no separators, nothing hidden.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def available_models(models_dir: Path | None) -> list[str]:
    """The names of the complete models in the folder, sorted; none without a folder."""
    if models_dir is None or not models_dir.is_dir():
        return []
    return sorted(
        path.name
        for path in models_dir.iterdir()
        if MODEL_NAME.fullmatch(path.name) and is_complete(path)
    )


def model_folder(models_dir: Path | None, name: str) -> Path | None:
    """The folder of the model called `name` when it is there and complete."""
    if models_dir is None or not MODEL_NAME.fullmatch(name):
        return None
    folder = models_dir / name
    return folder if is_complete(folder) else None


def is_complete(folder: Path) -> bool:
    return (
        (folder / MODEL_FILE).is_file()
        and (folder / TOKENIZER_FILE).is_file()
        and any((folder / name).is_file() for name in LABEL_FILES)
    )
