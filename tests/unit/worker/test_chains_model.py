"""`model:<name>` chains: a user's ONNX classifier from the models folder, run batched with
its version (the model file's hash), labels mapped to sentiments, probabilities kept."""

import json
from pathlib import Path

import pytest

from tests.tiny_model import build_model
from textmill_infra.models import available_models, model_folder
from textmill_worker.domain import chains
from textmill_worker.domain.chains import UnknownChain, analyse_cells, get_chains
from textmill_worker.domain.chains.model import ModelChain, file_digest


@pytest.fixture
def models_dir(tmp_path: Path):
    build_model(tmp_path / "tiny")
    chains.configure(model_folders=lambda name: model_folder(tmp_path, name))
    yield tmp_path
    chains.configure()


def test_a_model_classifies_texts_with_mapped_labels_and_probabilities(models_dir):
    chain = ModelChain("tiny", models_dir / "tiny")
    positive, negative = chain.analyse(["great kettle, love it", "awful, it broke"])
    assert (positive["label"], negative["label"]) == ("positive", "negative")
    assert set(positive["probabilities"]) == {"negative", "neutral", "positive"}
    assert sum(positive["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert positive["confidence"] == max(positive["probabilities"].values())


def test_the_version_is_the_model_files_hash(models_dir):
    chain = ModelChain("tiny", models_dir / "tiny")
    assert chain.name == "model:tiny"
    assert chain.version == file_digest(models_dir / "tiny" / "model.onnx")[:16]


def test_texts_of_any_number_go_through_in_batches_in_order(models_dir):
    chain = ModelChain("tiny", models_dir / "tiny")
    texts = ["great buy", "bad quality", "the lid"] * 30  # 90 texts: three batches
    labels = [result["label"] for result in chain.analyse(texts)]
    assert labels == ["positive", "negative", "neutral"] * 30


def test_labels_that_name_no_sentiment_are_kept_as_the_model_has_them(tmp_path):
    folder = build_model(tmp_path / "topics", labels=["billing", "shipping", "quality"])
    [result] = ModelChain("topics", folder).analyse(["great"])
    assert result["label"] == result["model_label"] == "quality"


def test_a_hugging_face_config_gives_the_labels_in_output_order(tmp_path):
    folder = build_model(tmp_path / "hf", labels=["NEGATIVE", "NEUTRAL", "POSITIVE"])
    (folder / "labels.json").unlink()
    config = {"id2label": {"2": "POSITIVE", "0": "NEGATIVE", "1": "NEUTRAL"}}
    (folder / "config.json").write_text(json.dumps(config))
    [result] = ModelChain("hf", folder).analyse(["love it"])
    assert (result["label"], result["model_label"]) == ("positive", "POSITIVE")


def test_the_registry_finds_a_model_chain_by_name_and_runs_it_in_cells(models_dir):
    [chain] = get_chains(["model:tiny"])
    [ok, skipped] = analyse_cells([chain], ["love it", "  "])
    assert ok["chains"]["model:tiny"]["label"] == "positive"
    assert ok["chains"]["model:tiny"]["version"] == chain.version
    assert skipped["status"] == "skipped"


def test_a_model_that_is_not_in_the_folder_is_an_unknown_chain(models_dir):
    with pytest.raises(UnknownChain) as refused:
        get_chains(["model:absent"])
    assert refused.value.unknown == ["model:absent"]


def test_a_model_file_replaced_is_loaded_again_with_its_new_version(models_dir):
    [before] = get_chains(["model:tiny"])
    build_model(models_dir / "tiny", labels=["positive", "neutral", "negative"])
    [after] = get_chains(["model:tiny"])
    assert after is not before


def test_a_corrupt_model_file_fails_each_cell_with_the_reason_and_the_others_go_on(models_dir):
    # Given a model folder whose model file is not a model
    (models_dir / "tiny" / "model.onnx").write_bytes(b"not a model")
    # When cells are analysed with it and with stats
    [result] = analyse_cells(get_chains(["model:tiny", "stats"]), ["love it"])
    # Then the model's output is the error, stats ran, and the cell is failed for the model
    assert "cannot be loaded" in result["chains"]["model:tiny"]["error"]
    assert result["chains"]["stats"]["words"] == 2
    assert (result["status"], result["reason"]) == ("failed", "failed chains: model:tiny")


def test_the_models_folder_lists_complete_models_only(tmp_path):
    build_model(tmp_path / "tiny")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "model.onnx").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    assert available_models(tmp_path) == ["tiny"]
    assert available_models(None) == []
    assert model_folder(tmp_path, "../tiny") is None
