"""Shared fixtures. Integration and end-to-end tests need the local stack: when it is not
ready, the first such test starts it (`deploy/local/stack.py up`) and leaves it running."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STACK = [sys.executable, str(ROOT / "deploy" / "local" / "stack.py")]


@pytest.fixture(scope="session")
def local_stack() -> None:
    if subprocess.run([*STACK, "ready"], capture_output=True).returncode == 0:
        return
    started = subprocess.run([*STACK, "up"], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"the local stack did not come up:\n{started.stdout}\n{started.stderr}")


@pytest.fixture(scope="session")
def admin_key(local_stack) -> str:
    import os

    return (
        os.environ.get("TEXTMILL_ADMIN_KEY") or (ROOT / ".local" / "admin-key").read_text().strip()
    )
