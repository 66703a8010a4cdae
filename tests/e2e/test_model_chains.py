"""`model:<name>` end to end: a tiny ONNX classifier put in the running stack's models folder
is accepted by the gateway and run by the workers, in a whole run and in a quick analysis."""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_problem
from tests.e2e.runs import all_results, start_run, wait_for
from tests.tiny_model import build_model
from textmill_worker.domain.chains.model import file_digest

ROOT = Path(__file__).resolve().parents[2]


def models_dir() -> Path:
    """The folder the local stack gives the gateway and the workers."""
    return Path(os.environ.get("TEXTMILL_MODELS_DIR") or ROOT / ".local" / "models")


@pytest.fixture(scope="module")
def model_name() -> Iterator[str]:
    """A model of this module's own in the stack's models folder, removed afterwards."""
    name = f"tiny-{uuid.uuid4().hex[:8]}"
    build_model(models_dir() / name)
    yield name
    shutil.rmtree(models_dir() / name, ignore_errors=True)


def test_a_run_applies_the_model_to_every_cell(client, model_name):
    # Given a file of reviews whose words the tiny model knows
    rows = ["id,review", "1,great kettle love it", "2,awful it broke", "3,the lid", "4,"]
    chain = f"model:{model_name}"
    # When a run asks for the model's chain beside stats
    run_id = start_run(client, "\n".join(rows).encode() + b"\n", ["review"], [chain, "stats"])
    run = wait_for(client, run_id, {"completed", "failed"})
    # Then it completes, and every cell with text has the model's label, probabilities and
    # the model file's hash as its version
    assert run["status"] == "completed", run
    results = sorted(all_results(client, run_id), key=lambda r: r["record"])
    outputs = [r["chains"].get(chain) for r in results]
    assert [o["label"] if o else None for o in outputs] == [
        "positive",
        "negative",
        "neutral",
        None,
    ]
    assert set(outputs[0]["probabilities"]) == {"negative", "neutral", "positive"}
    assert len(outputs[0]["version"]) == 16
    assert results[3]["status"] == "skipped"
    # And the summary counts its labels, and the export has its label and confidence
    summary = client.get(f"/api/v2/runs/{run_id}/summary").json()["columns"]["review"]
    assert summary["models"][chain]["labels"] == {"positive": 1, "negative": 1, "neutral": 1}
    exported = client.get(f"/api/v2/runs/{run_id}/export", params={"format": "csv"}).text
    header = exported.splitlines()[0].split(",")
    assert f"review.{chain}.label" in header and f"review.{chain}.confidence" in header


def test_a_quick_analysis_runs_the_model(client, model_name):
    chain = f"model:{model_name}"
    response = client.post(
        "/api/v2/analyze/text",
        json={"texts": ["love it, great buy", "bad quality"], "chains": [chain]},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["chains"][chain]["label"] for r in results] == ["positive", "negative"]
    digest = file_digest(models_dir() / model_name / "model.onnx")[:16]
    assert results[0]["chains"][chain]["version"] == digest


def test_a_model_not_in_the_folder_is_refused_with_the_models_there_are(client, model_name):
    response = client.post(
        "/api/v2/analyze/text", json={"texts": ["hello"], "chains": ["model:no-such-model"]}
    )
    body = assert_problem(response, 422, "unknown_chain")
    assert f"model:{model_name}" in body["available"]
