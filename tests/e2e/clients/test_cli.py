"""The `textmill` command as installed in the project's environment, run as a process
against the stack: a whole run, every command, the key from each place, and exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.e2e.conftest import new_tenant_client
from tests.e2e.data import reviews_csv

TEXTMILL = Path(sys.executable).with_name("textmill")


@pytest.fixture(scope="module")
def tenant_key(admin) -> str:
    with new_tenant_client(admin) as client:
        return client.headers["authorization"].split(" ", 1)[1]


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "reviews.csv"
    path.write_bytes(reviews_csv(400))
    return path


def textmill(*args: str, url: str, key: str | None, config: Path | None = None, **env: str):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TEXTMILL_")}
    environ |= {
        "TEXTMILL_URL": url,
        "COLUMNS": "120",
        "TEXTMILL_CONFIG": str(config or "/dev/null"),
    }
    if key:
        environ["TEXTMILL_API_KEY"] = key
    return subprocess.run(
        [str(TEXTMILL), *args], env=environ | env, capture_output=True, text=True, timeout=300
    )


def test_run_uploads_picks_the_top_column_follows_the_run_and_summarises(
    gateway_url, tenant_key, reviews
):
    # Given a review file and no column named
    # When `textmill run` is given it with a chain
    done = textmill("run", str(reviews), "--chains", "sentiment", url=gateway_url, key=tenant_key)
    # Then it picked the review body, showed the estimate, followed the run to its end and
    # printed the summary, exiting 0
    assert done.returncode == 0, done.stderr
    assert "analysing the top 1: body" in done.stdout
    assert "Estimate" in done.stdout and "cells" in done.stdout
    assert "completed: 400 cells" in done.stdout
    assert "Summary of run" in done.stdout and "positive" in done.stdout


def test_every_step_as_its_own_command(gateway_url, tenant_key, reviews, tmp_path):
    def tm(*args: str):
        done = textmill(*args, url=gateway_url, key=tenant_key)
        assert done.returncode == 0, done.stderr
        return done.stdout

    # Given a file uploaded with `upload -q` (its id alone on stdout)
    file_id = tm("upload", "-q", str(reviews)).strip()
    # When it is profiled, estimated and run without watching
    assert "body" in tm("profile", file_id) and "long free text" in tm("profile", file_id)
    assert "800" in tm("estimate", file_id, "-c", "body,title", "--chains", "sentiment")
    run_id = tm("run", str(reviews), "-c", "body", "--chains", "sentiment,stats", "--no-watch")
    run_id = run_id.strip().splitlines()[-1]
    tm("watch", run_id)
    # Then the run is listed, its results read as JSON lines, its summary shown, its export
    # written as Parquet
    assert run_id in tm("runs")
    lines = [
        json.loads(line)
        for line in tm("results", run_id, "--limit", "5", "--json").split("\n")
        if line
    ]
    assert [line["record"] for line in lines] == [0, 1, 2, 3, 4]
    assert set(lines[0]["chains"]) == {"sentiment", "stats"}
    assert "Results" in tm("results", run_id, "--limit", "3")
    assert "mean_compound" in tm("summary", run_id)
    tm("export", run_id, "--format", "parquet", "-o", str(tmp_path / "run.parquet"))
    assert pq.read_table(tmp_path / "run.parquet").num_rows == 400


def test_the_key_comes_from_the_config_file_when_no_flag_nor_variable_gives_it(
    gateway_url, tenant_key, tmp_path
):
    config = tmp_path / "config.toml"
    config.write_text(f'url = "{gateway_url}"\napi_key = "{tenant_key}"\n')
    done = textmill("runs", url=gateway_url, key=None, config=config)
    assert done.returncode == 0, done.stderr
    assert "Runs, newest first" in done.stdout


def test_a_flag_overrides_the_environment(gateway_url, tenant_key):
    done = textmill("--api-key", "tm_wrong", "runs", url=gateway_url, key=tenant_key)
    assert done.returncode == 3
    assert "unauthorized" in done.stderr and "--api-key" in done.stderr


def test_no_key_anywhere_is_a_usage_error(gateway_url):
    done = textmill("runs", url=gateway_url, key=None)
    assert done.returncode == 2 and "no API key" in done.stderr


def test_a_refusal_prints_its_code_and_request_id(gateway_url, tenant_key):
    done = textmill("summary", "no-such-run", url=gateway_url, key=tenant_key)
    assert done.returncode == 3
    assert "run_not_found" in done.stderr and "request id:" in done.stderr


def test_a_gateway_that_is_not_there_is_said_so(tenant_key):
    # Port 9 (discard) on loopback: nothing listens there
    done = textmill("runs", url="http://127.0.0.1:9", key=tenant_key)
    assert done.returncode == 4 and "cannot reach textmill" in done.stderr


def test_keys_create_shows_the_new_key_once(gateway_url, admin_key):
    done = textmill("keys", "create", "--tenant", "cli-tenant", url=gateway_url, key=admin_key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("tm_")
