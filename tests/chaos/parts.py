"""Faults on the local stack's parts, through `deploy/local/stack.py` (kill -9, start, stop)
and its PID files; only this worktree's processes are ever signalled."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / ".local" / "run"
STACK = [sys.executable, str(ROOT / "deploy" / "local" / "stack.py")]


def stack(*args: str) -> None:
    done = subprocess.run([*STACK, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no output"])[0]
        raise RuntimeError(f"stack.py {' '.join(args)} failed: {why}")


def kill(part: str) -> float:
    """kill -9 the part and its children (its process group), as `stack.py kill` does but
    without a second interpreter's start between the decision and the kill; when it was
    killed."""
    number = pid(part)
    assert number is not None, f"{part} is not running"
    os.killpg(number, signal.SIGKILL)
    killed = time.monotonic()
    while alive(number):
        time.sleep(0.02)
    (RUN / f"{part}.pid").unlink(missing_ok=True)
    return killed


# A service starts in ~5 s on a quiet machine; its chain pool runs at the lowest priority,
# so on a loaded one it has taken over a minute.
START_TIMEOUT = 240


def start(part: str) -> float:
    """Start the part and wait until it is ready; when it was."""
    stack("start", part, "--timeout", str(START_TIMEOUT))
    return time.monotonic()


def up() -> None:
    """Start whatever is not running (a part a failed scenario left dead)."""
    stack("up")


def pid(part: str) -> int | None:
    try:
        number = int((RUN / f"{part}.pid").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return number if alive(number) else None


def terminate(part: str) -> int:
    """SIGTERM the part's main process only, as Kubernetes does to a pod's first process;
    its pid."""
    number = pid(part)
    assert number is not None, f"{part} is not running"
    os.kill(number, signal.SIGTERM)
    return number


def alive(number: int) -> bool:
    try:
        state = Path(f"/proc/{number}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def part_of_worker(instance_id: str) -> str:
    """`worker` or `worker-2` from a worker's instance id (`<host>-worker-2-local`)."""
    for pid_file in RUN.glob("worker*.pid"):
        if instance_id.endswith(f"-{pid_file.stem}-local"):
            return pid_file.stem
    raise LookupError(f"no local worker process for {instance_id}")
