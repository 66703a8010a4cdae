"""docker-compose.yml and the Kubernetes ConfigMap set only settings the services read."""

import re
from pathlib import Path

import pytest

from textmill_infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["docker-compose.yml", "deploy/k8s/base/config.yaml"])
def test_every_textmill_variable_set_is_a_setting(path: str) -> None:
    names = set(re.findall(r"^\s+(TEXTMILL_[A-Z0-9_]+):", (ROOT / path).read_text(), re.M))
    assert names
    known = {f"TEXTMILL_{field.upper()}" for field in Settings.model_fields}
    assert names <= known, names - known
