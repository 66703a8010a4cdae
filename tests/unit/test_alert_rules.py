"""The alert rules: Prometheus's own checker and unit tests (`promtool`, from Debian's
prometheus package, which `make install` installs), a runbook entry and a test per alert."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/alerts.yml"
RULE_TESTS = ROOT / "deploy/prometheus/alerts.test.yml"
RUNBOOKS = ROOT / "docs/runbooks.md"


def alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: run `make install` (Debian's prometheus package)"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)


def test_promtool_accepts_the_rules() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_rule_unit_test_passes() -> None:
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.parametrize("config", ["deploy/prometheus/prometheus.yml"])
def test_promtool_accepts_the_compose_scrape_config(config: str) -> None:
    checked = promtool("check", "config", "--syntax-only", str(ROOT / config))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("alert", [rule["alert"] for rule in alerts()])
def test_every_alert_has_a_runbook_entry_and_a_unit_test(alert: str) -> None:
    rule = next(rule for rule in alerts() if rule["alert"] == alert)
    anchor = alert.lower()
    assert rule["annotations"]["runbook_url"] == f"docs/runbooks.md#{anchor}"
    headings = re.findall(r"^### (\w+)$", RUNBOOKS.read_text(), flags=re.MULTILINE)
    assert alert in headings, f"docs/runbooks.md has no '### {alert}'"
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert alert in tested, f"no test in alerts.test.yml sees {alert} fire"
