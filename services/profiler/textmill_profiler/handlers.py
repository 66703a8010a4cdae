"""Kafka handlers: decode the message, call the domain or the stores, reply.

Profiles are idempotent by (tenant, content hash, profiler version): a redelivered
command is answered from the cache or the stored profile. Deletions are idempotent by
file id: dropping what is already gone is a no-op.
"""

import asyncio
import time
from itertools import islice

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pymongo.errors import ConnectionFailure

from textmill_contracts import FileDeleted, ProfileCompleted, ProfileFailed, ProfileRequested
from textmill_infra.blobs import StoredFileGone
from textmill_infra.kafka import decode, reply
from textmill_infra.logs import get_logger
from textmill_profiler.adapters.cache import ProfileCache
from textmill_profiler.adapters.files import FileMissing, StoredFiles
from textmill_profiler.adapters.profiles import ProfileStore
from textmill_profiler.domain import PROFILER_VERSION, TableProfile, profile_table
from textmill_tabular import TabularError, open_table

log = get_logger(__name__)


def profile_stored(
    files: StoredFiles, tenant: str, file_id: str, *, sample_rows: int, max_columns: int
) -> tuple[TableProfile, int]:
    """Profile the first `sample_rows` rows; returns the profile and the file's row count.

    A bounded sample keeps a cold profile's time and memory independent of the file's
    size; the exact row count was taken when the upload was validated.
    """
    source, metadata = files.open(tenant, file_id)
    with open_table(source, source.name, max_columns=max_columns) as table:
        profile = profile_table(table.header, islice(table.rows(), sample_rows))
    return profile, max(int(metadata.get("rows", 0)), profile.rows)


class ProfileHandler:
    def __init__(
        self,
        broker: KafkaBroker,
        files: StoredFiles,
        profiles: ProfileStore,
        cache: ProfileCache,
        *,
        sample_rows: int,
        max_columns: int,
    ) -> None:
        self._broker, self._files, self._profiles, self._cache = broker, files, profiles, cache
        self._sample_rows, self._max_columns = sample_rows, max_columns

    async def on_profile_requested(self, message: KafkaMessage) -> None:
        command = await decode(self._broker, message, ProfileRequested)
        if command is None:
            return
        answer = await self._profile(command)
        await reply(
            self._broker,
            message,
            answer,
            command.reply_to,
            key=command.file_id.encode(),
            correlation_id=command.correlation_id,
        )

    async def on_file_deleted(self, message: KafkaMessage) -> None:
        event = await decode(self._broker, message, FileDeleted)
        if event is None:
            return
        dropped = await self._cache.invalidate(event.tenant, event.sha256)
        await self._profiles.delete(event.tenant, event.file_id)
        log.info("profiles of a deleted file dropped", file_id=event.file_id, cached=dropped)

    async def _profile(self, command: ProfileRequested) -> ProfileCompleted | ProfileFailed:
        ids = {
            "correlation_id": command.correlation_id,
            "tenant": command.tenant,
            "file_id": command.file_id,
        }
        version = PROFILER_VERSION
        cached = await self._cache.get(command.tenant, command.sha256, version)
        if cached is not None:
            return ProfileCompleted(**ids, profiler_version=version, **cached)
        stored = await self._profiles.find(command.tenant, command.file_id, version, command.sha256)
        if stored is None:
            try:
                stored = await self._compute(command)
            except (FileMissing, StoredFileGone):  # gone before, or while, it was read
                detail = f"no file with id {command.file_id!r}"
                return ProfileFailed(**ids, code="file_not_found", status=404, detail=detail)
            except TabularError as exc:
                return ProfileFailed(**ids, code=exc.code, status=exc.status, detail=exc.detail)
            except ConnectionFailure:
                raise  # the store is away: redelivery retries once it is back
            except Exception as exc:
                # Anything else will fail the same way on every redelivery: answer now, so
                # the command is not redelivered forever.
                log.exception("profiling failed", file_id=command.file_id)
                detail = f"the file could not be profiled ({type(exc).__name__})"
                return ProfileFailed(**ids, code="profile_failed", status=500, detail=detail)
        # Cached only once whole and stored: a failed profile leaves nothing behind.
        await self._cache.put(command.tenant, command.sha256, version, stored)
        return ProfileCompleted(**ids, profiler_version=version, **stored)

    async def _compute(self, command: ProfileRequested) -> dict:
        started = time.perf_counter()
        profile, rows = await asyncio.to_thread(
            profile_stored,
            self._files,
            command.tenant,
            command.file_id,
            sample_rows=self._sample_rows,
            max_columns=self._max_columns,
        )
        computed_ms = round((time.perf_counter() - started) * 1000, 1)
        fields = {
            "rows": rows,
            "sampled_rows": profile.rows,
            "columns": [c.model_dump(mode="json") for c in profile.columns],
            "candidates": [c.model_dump(mode="json") for c in profile.candidates],
        }
        await self._profiles.save(
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
