"""The profiler's handlers: profile a stored file and reply, drop the profiles of a deleted
file.

Profiles are idempotent by (tenant, content hash, profiler version): a redelivered command
is answered from the cache or the stored profile. Deletions are idempotent by file id:
dropping what is already gone is a no-op.
"""

import asyncio
import time
from dataclasses import dataclass, field
from itertools import islice

from pymongo.errors import ConnectionFailure

from textmill_contracts import FileDeleted, ProfileCompleted, ProfileFailed, ProfileRequested
from textmill_infra.blobs import StoredFileMissing
from textmill_infra.logs import get_logger
from textmill_infra.messaging import Publisher
from textmill_profiler.adapters.files import StoredTables
from textmill_profiler.adapters.metrics import ProfilerMetrics
from textmill_profiler.domain import PROFILER_VERSION, TableProfile, profile_table
from textmill_storage import ProfileCache, ProfileStore
from textmill_tabular import TabularError, open_table

log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class Deps:
    publisher: Publisher
    files: StoredTables  # synchronous: read in a thread
    profiles: ProfileStore
    cache: ProfileCache
    sample_rows: int
    max_columns: int
    metrics: ProfilerMetrics = field(default_factory=ProfilerMetrics)


async def profile_file(command: ProfileRequested, deps: Deps) -> None:
    started = time.perf_counter()
    answer, outcome = await _profile(command, deps)
    deps.metrics.answered(outcome, time.perf_counter() - started)
    await deps.publisher.reply(
        answer, command.reply_to, key=command.file_id, correlation_id=command.correlation_id
    )


async def drop_profiles(event: FileDeleted, deps: Deps) -> None:
    dropped = await deps.cache.invalidate(event.tenant, event.sha256)
    await deps.profiles.delete(event.tenant, event.file_id)
    log.info("profiles of a deleted file dropped", file_id=event.file_id, cached=dropped)


def profile_stored(
    files: StoredTables, tenant: str, file_id: str, *, sample_rows: int, max_columns: int
) -> tuple[TableProfile, int]:
    """Profile the first `sample_rows` rows; returns the profile and the file's row count.

    A bounded sample keeps a cold profile's time and memory independent of the file's
    size; the exact row count was taken when the upload was validated.
    """
    source, metadata = files.open(tenant, file_id)
    with open_table(source, source.name, max_columns=max_columns) as table:
        profile = profile_table(table.header, islice(table.rows(), sample_rows))
    return profile, max(int(metadata.get("rows", 0)), profile.rows)


async def _profile(
    command: ProfileRequested, deps: Deps
) -> tuple[ProfileCompleted | ProfileFailed, str]:
    """The answer, and how it was come by (`metrics.OUTCOMES`)."""
    ids = {
        "correlation_id": command.correlation_id,
        "tenant": command.tenant,
        "file_id": command.file_id,
    }
    version = PROFILER_VERSION
    cached = await deps.cache.get(command.tenant, command.sha256, version)
    if cached is not None:
        return ProfileCompleted(**ids, profiler_version=version, **cached), "cached"
    stored = await deps.profiles.find(command.tenant, command.file_id, version, command.sha256)
    outcome = "stored"
    if stored is None:
        outcome = "computed"
        try:
            stored = await _compute(command, deps)
        except StoredFileMissing:  # gone before, or while, it was read
            detail = f"no file with id {command.file_id!r}"
            return ProfileFailed(**ids, code="file_not_found", detail=detail), "failed"
        except TabularError as exc:
            return ProfileFailed(**ids, code=exc.code, detail=exc.detail), "failed"
        except ConnectionFailure:
            raise  # the store is away: redelivery retries once it is back
        except Exception as exc:
            # Anything else will fail the same way on every redelivery: answer now, so
            # the command is not redelivered forever.
            log.exception("profiling failed", file_id=command.file_id)
            detail = f"the file could not be profiled ({type(exc).__name__})"
            return ProfileFailed(**ids, code="profile_failed", detail=detail), "failed"
    # Cached only once whole and stored: a failed profile leaves nothing behind.
    await deps.cache.put(command.tenant, command.sha256, version, stored)
    return ProfileCompleted(**ids, profiler_version=version, **stored), outcome


async def _compute(command: ProfileRequested, deps: Deps) -> dict:
    started = time.perf_counter()
    profile, rows = await asyncio.to_thread(
        profile_stored,
        deps.files,
        command.tenant,
        command.file_id,
        sample_rows=deps.sample_rows,
        max_columns=deps.max_columns,
    )
    computed_ms = round((time.perf_counter() - started) * 1000, 1)
    fields = {
        "rows": rows,
        "sampled_rows": profile.rows,
        "columns": [c.model_dump(mode="json") for c in profile.columns],
        "candidates": [c.model_dump(mode="json") for c in profile.candidates],
    }
    await deps.profiles.save(
        command.tenant, command.file_id, PROFILER_VERSION, command.sha256, fields
    )
    log.info(
        "file profiled",
        file_id=command.file_id,
        rows=rows,
        sampled_rows=profile.rows,
        computed_ms=computed_ms,
        total_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return fields
