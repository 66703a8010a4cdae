"""Where a worker runs its chains: beside its event loop in a thread (`InProcess`), or in a
pool of processes (`ProcessPool`, `TEXTMILL_WORKER_POOL=n`).

Both take a batch of texts and give back one result per text, or, for a shard (`cells`),
the batch's results already encoded as they are stored and published: the encoding happens
where the chains ran, so the worker's loop, which stores, publishes and reads the next
rows, neither unpickles the results nor encodes them. The shard handler keeps `depth`
batches in flight, so that the chains never wait for the store or Kafka. A worker process
per core with `InProcess`, and one worker with a pool of one process per core, are the two
ways to use every core (docs/worker-layouts.md).
"""

import asyncio
import gc
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import msgspec

from textmill_infra.logs import get_logger
from textmill_infra.models import model_folder
from textmill_runs.costs import CellCosts
from textmill_worker.domain.chains import analyse_cells, configure, get_chains, warm_up

log = get_logger(__name__)
_CELLS = msgspec.json.Encoder()


class Compute(Protocol):
    depth: int  # batches worth keeping in flight
    processes: int  # chain processes (0: a thread of the worker)

    async def start(self) -> None:
        """Load every chain's models now, so the first shard does not pay for them."""
        ...

    async def analyse(
        self, chains: list[str], texts: list[str | None]
    ) -> tuple[list[dict], CellCosts]: ...

    async def cells(
        self,
        chains: list[str],
        records: list[int],
        texts: list[str | None],
        column_language: str | None = None,
    ) -> tuple[bytes, CellCosts]:
        """`cells_json` of the batch; `column_language`, the column's in its profile."""
        ...

    def close(self) -> None: ...


def analyse_texts(
    chains: list[str], texts: list[str | None], column_language: str | None = None
) -> tuple[list[dict], CellCosts]:
    """One result per text, and what they cost."""
    costs = CellCosts()
    chosen = get_chains(chains, column_language=column_language)
    return analyse_cells(chosen, texts, costs), costs


def cells_json(
    chains: list[str],
    records: list[int],
    texts: list[str | None],
    column_language: str | None = None,
) -> tuple[bytes, CellCosts]:
    """The JSON list of the batch's cell results, each with its record (`CellResult`): the
    form a shard's results are stored and published in.

    Encoded by msgspec: faster than pydantic-core, and strict JSON whatever a chain returns
    (a NaN or an infinity becomes null; pydantic-core wrote `NaN`, which no browser reads)."""
    results, costs = analyse_texts(chains, texts, column_language=column_language)
    cells = [{"record": record, **result} for record, result in zip(records, results, strict=True)]
    return _CELLS.encode(cells), costs


@dataclass(frozen=True, kw_only=True)
class ChainSettings:
    """What a chain process needs to know besides the texts: where the models are, and the
    pii chain's phone regions (picklable: a pool's processes get it at start)."""

    models_dir: Path | None = None
    phone_regions: tuple[str, ...] = ()

    def apply(self) -> None:
        models_dir = self.models_dir
        configure(
            model_folders=lambda name: model_folder(models_dir, name),
            phone_regions=self.phone_regions or None,
        )


def _go_idle(task: int = 0) -> None:
    """Thread `task` (a Linux task id; 0: the calling thread) goes under SCHED_IDLE. Linux
    schedules threads: the rest of the process keeps its policy."""
    os.sched_setscheduler(task, os.SCHED_IDLE, os.sched_param(0))


class _Analyses:
    """What both layouts answer, each running the work its own way (`_run`)."""

    async def analyse(
        self, chains: list[str], texts: list[str | None]
    ) -> tuple[list[dict], CellCosts]:
        return await self._run(analyse_texts, chains, texts)

    async def cells(
        self,
        chains: list[str],
        records: list[int],
        texts: list[str | None],
        column_language: str | None = None,
    ) -> tuple[bytes, CellCosts]:
        return await self._run(cells_json, chains, records, texts, column_language)

    async def _run(self, fn, *args):
        raise NotImplementedError


class InProcess(_Analyses):
    """One thread of this process: one batch analysed while the previous one is stored.
    Batches queue for that thread rather than share the interpreter: each then finishes as
    early as it can.

    `idle`: that thread runs under SCHED_IDLE (see `ProcessPool`). It shares the
    interpreter's lock with the loop, and the loop waits for it while the chains hold the
    lock and no core is free of other tasks; those are short on the local stack, where the
    gateway, Kafka and Redis mostly wait on I/O, and the stream's latency gained more than
    the loop lost."""

    depth = 2
    processes = 0  # chains in a thread of this process

    def __init__(self, *, idle: bool = False) -> None:
        self._thread = ThreadPoolExecutor(
            1, thread_name_prefix="chains", initializer=_go_idle if idle else None
        )

    async def start(self) -> None:
        await self._run(warm_up)

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)


def _start_pool_process(idle: bool, chain_settings: ChainSettings) -> None:
    logging.getLogger("yake").setLevel(logging.ERROR)  # see app.py: it quotes cell text
    chain_settings.apply()
    if idle:
        # Linux schedules threads: each one of this process (the native libraries' too,
        # started when the initializer's modules were imported); later ones inherit it.
        for task in os.listdir("/proc/self/task"):
            _go_idle(int(task))
    warm_up()
    # The models live as long as the process: out of the collector's sight, as in the
    # services (`ServiceRuntime.started`): a full collection scanning them made a batch
    # take several times as long.
    gc.collect()
    gc.freeze()


class ProcessPool(_Analyses):
    """`processes` spawned processes, each with the chains' models loaded; this process
    only reads rows, stores and publishes.

    A pool process that dies (killed for memory, a crash in native code) breaks the whole
    executor: every later call would fail. The pool is then replaced and the call raises
    `BrokenProcessPool`, so the shard is redelivered and resumes from its checkpoint on
    fresh processes.

    `idle`: the processes run under Linux's SCHED_IDLE policy, so that any other runnable
    task on the machine, this worker's own loop included, takes the CPU from the chains at
    once, where a nice value only weighs their share. For a worker sharing its cores with
    latency paths (the local stack: gateway, Kafka, Redis); on a machine kept busy by other
    work the chains would get next to nothing."""

    def __init__(
        self, processes: int, *, idle: bool = False, chain_settings: ChainSettings | None = None
    ) -> None:
        if processes < 1:
            raise ValueError(f"a pool needs at least one process, not {processes}")
        self.depth, self.processes, self._idle = processes + 1, processes, idle
        self._chain_settings = chain_settings or ChainSettings()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a running loop
            initializer=_start_pool_process,
            initargs=(self._idle, self._chain_settings),
        )

    async def start(self) -> None:
        # One task per process at once: each submission finds no idle process and starts
        # one, which warms its models up in its initializer.
        loop = asyncio.get_running_loop()
        started = [
            loop.run_in_executor(self._pool, analyse_texts, [], []) for _ in range(self.processes)
        ]
        await asyncio.gather(*started)

    async def _run(self, fn, *args):
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            if pool is self._pool:  # the first caller to see it replaces it
                log.warning("a chain process died; starting a new pool")
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_compute(
    pool_processes: int, *, idle: bool = False, chain_settings: ChainSettings | None = None
) -> Compute:
    """A pool of `pool_processes`, or a thread of this process when 0; its chains under
    SCHED_IDLE if `idle`, set up with `chain_settings` (this process's too: it checks the
    chains a shard names)."""
    chain_settings = chain_settings or ChainSettings()
    chain_settings.apply()
    if pool_processes > 0:
        return ProcessPool(pool_processes, idle=idle, chain_settings=chain_settings)
    return InProcess(idle=idle)
