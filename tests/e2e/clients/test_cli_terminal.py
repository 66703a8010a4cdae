"""`textmill run` in a real terminal (tmux): its per-column progress bars as a person sees
them, and Ctrl-C offering to cancel the run. Each captured screen is printed (run pytest
with -rP to see it) and written to tests/artifacts/."""

import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import new_tenant_client
from tests.e2e.data import reviews_csv

TEXTMILL = Path(sys.executable).with_name("textmill")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """A tmux session of its own (own server socket), 110 × 30, running one command."""

    def __init__(self, command: str) -> None:
        self.socket = f"textmill-tests-{uuid.uuid4().hex[:8]}"
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "110",
            "-y",
            "30",
            f"{command}; echo EXIT=$?; sleep 600",
        )

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, predicate, timeout: float = 240) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"the terminal never showed it; last screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture(scope="module")
def command(gateway_url, admin):
    with new_tenant_client(admin) as client:
        key = client.headers["authorization"].split(" ", 1)[1]
    env = f"env TEXTMILL_URL={shlex.quote(gateway_url)} TEXTMILL_API_KEY={shlex.quote(key)}"
    return f"{env} TEXTMILL_CONFIG=/dev/null {shlex.quote(str(TEXTMILL))}"


def keep(name: str, screen: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(screen)
    print(f"--- {name} ---\n{screen}")


def mid_run(screen: str) -> bool:
    """A frame with both columns' bars part-way, each with its rate and time remaining."""
    bars = [line for line in screen.splitlines() if line.startswith(("body ", "title "))]
    return (
        len(bars) == 2
        and any(re.search(r"\d cells/s", b) for b in bars)
        and any(0 < int(b.split("/")[0].split()[-1].replace(",", "") or 0) for b in bars)
    )


def test_the_progress_bars_fill_per_column_and_the_run_ends_with_a_summary(command, tmp_path):
    # Given a 100,000-row review file
    path = tmp_path / "reviews.csv"
    path.write_bytes(reviews_csv(100_000))
    # When `textmill run` analyses two of its columns in a 110-column terminal
    terminal = Terminal(f"{command} run {path} -c body,title --chains sentiment")
    try:
        during = terminal.wait_for(mid_run)
        after = terminal.wait_for(lambda s: "EXIT=" in s)
    finally:
        terminal.close()
    keep("cli-progress-during.txt", during)
    keep("cli-progress-after.txt", after)
    # Then a frame showed each column's bar part-way, with a rate and the time remaining
    assert "eta" in during and "cells/s" in during
    # And the run ended completed with the summary of both columns, exit code 0
    assert "completed: 200,000 cells" in after
    assert "Summary of run" in after and "EXIT=0" in after


def test_ctrl_c_offers_to_cancel_the_run_and_cancels_it_when_asked(command, tmp_path):
    # Given a run long enough to interrupt (the language chain is the slowest)
    path = tmp_path / "reviews.csv"
    path.write_bytes(reviews_csv(20_000))
    terminal = Terminal(f"{command} run {path} -c body --chains language,keywords")
    try:
        terminal.wait_for(lambda s: "cells/s" in s and "body" in s)
        # When Ctrl-C is pressed and the question answered yes
        terminal.tmux("send-keys", "-t", "t", "C-c")
        asked = terminal.wait_for(lambda s: "Cancel run" in s)
        terminal.tmux("send-keys", "-t", "t", "y", "Enter")
        after = terminal.wait_for(lambda s: "EXIT=" in s)
    finally:
        terminal.close()
    keep("cli-cancel.txt", after)
    # Then the run was cancelled and the command ended as interrupted (130)
    assert "Cancel run" in asked
    assert "cancelled" in after and "EXIT=130" in after
