"""The Kubernetes manifests: each overlay rendered by kustomize and validated by kubeconform
against the schemas kept in deploy/k8s/schemas (Kubernetes' kinds and the CRDs': Strimzi,
KEDA, ServiceMonitor), strictly; and what they must say."""

import subprocess
from pathlib import Path

import pytest
import yaml

from textmill_contracts.topics import TOPICS

ROOT = Path(__file__).resolve().parents[2]
K8S, BIN = ROOT / "deploy/k8s", ROOT / ".local/bin"
SERVICES = ["gateway", "profiler", "estimator", "coordinator", "worker"]


def render(overlay: str) -> str:
    assert (BIN / "kustomize").exists(), "kustomize is missing: run `make install`"
    built = subprocess.run(
        [BIN / "kustomize", "build", K8S / "overlays" / overlay],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    return built.stdout


def resources(overlay: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(render(overlay)) if doc]


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_every_rendered_resource_is_valid_against_its_schema(overlay: str) -> None:
    assert (BIN / "kubeconform").exists(), "kubeconform is missing: run `make install`"
    checked = subprocess.run(
        [
            BIN / "kubeconform",
            "-strict",
            "-summary",
            "-schema-location",
            "schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "-schema-location",
            "schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
        ],
        input=render(overlay),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=K8S,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in checked.stdout, checked.stdout


def test_every_service_has_probes_resources_and_a_disruption_budget() -> None:
    docs = resources("production")
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    budgets = {d["metadata"]["name"] for d in docs if d["kind"] == "PodDisruptionBudget"}
    assert set(SERVICES) <= set(deployments) and set(SERVICES) <= budgets
    for name in SERVICES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["resources"]["requests"] and container["resources"]["limits"]
    assert deployments["coordinator"]["spec"]["replicas"] == 2


def test_workers_scale_on_their_groups_lag_and_the_gateway_on_cpu() -> None:
    docs = resources("production")
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "worker"
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "kafka" and trigger["metadata"]["consumerGroup"] == "textmill-workers"
    assert trigger["metadata"]["topic"] == TOPICS.shards
    hpa = next(d for d in docs if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gateway"


def test_kafka_topics_are_the_contracts_topics() -> None:
    topics = [d for d in resources("production") if d["kind"] == "KafkaTopic"]
    assert sorted(t["spec"]["topicName"] for t in topics) == sorted(TOPICS.all())
