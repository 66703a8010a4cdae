"""Kafka handlers: decode the command, profile the file, reply. Idempotent by
(tenant, file id, profiler version, sha256): a redelivered command reuses the stored profile."""

import asyncio
from pathlib import Path

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from textmill_contracts import ProfileCompleted, ProfileFailed, ProfileRequested
from textmill_contracts.topics import MESSAGE_TYPE_HEADER
from textmill_infra.kafka import decode
from textmill_infra.logs import get_logger
from textmill_tabular import TabularError, open_table

from textmill_profiler.adapters.files import FileMissing, StoredFiles
from textmill_profiler.adapters.profiles import ProfileStore
from textmill_profiler.domain import PROFILER_VERSION, TableProfile, profile_table

log = get_logger(__name__)


def profile_file(path: Path, filename: str, max_columns: int) -> TableProfile:
    with open_table(path, filename, max_columns=max_columns) as table:
        return profile_table(table.header, table.rows())


class ProfileHandler:
    def __init__(
        self, broker: KafkaBroker, files: StoredFiles, profiles: ProfileStore, max_columns: int
    ) -> None:
        self._broker, self._files, self._profiles = broker, files, profiles
        self._max_columns = max_columns

    async def __call__(self, message: KafkaMessage) -> None:
        command = await decode(self._broker, message, ProfileRequested)
        if command is None:
            return
        reply = await self._profile(command)
        await self._broker.publish(
            reply,
            command.reply_to,
            key=command.file_id.encode(),
            correlation_id=command.correlation_id,
            headers={MESSAGE_TYPE_HEADER: reply.schema_name},
        )

    async def _profile(self, command: ProfileRequested) -> ProfileCompleted | ProfileFailed:
        ids = {
            "correlation_id": command.correlation_id,
            "tenant": command.tenant,
            "file_id": command.file_id,
        }
        stored = await self._profiles.find(
            command.tenant, command.file_id, PROFILER_VERSION, command.sha256
        )
        if stored is not None:
            return ProfileCompleted(**ids, profiler_version=PROFILER_VERSION, **_fields(stored))
        try:
            async with self._files.local_copy(command.tenant, command.file_id) as (path, filename):
                profile = await asyncio.to_thread(profile_file, path, filename, self._max_columns)
        except FileMissing:
            return ProfileFailed(
                **ids,
                code="file_not_found",
                status=404,
                detail=f"no file with id {command.file_id!r}",
            )
        except TabularError as exc:
            return ProfileFailed(**ids, code=exc.code, status=exc.status, detail=exc.detail)
        await self._profiles.save(
            command.tenant, command.file_id, PROFILER_VERSION, command.sha256, profile
        )
        log.info(
            "file profiled",
            file_id=command.file_id,
            rows=profile.rows,
            columns=len(profile.columns),
        )
        return ProfileCompleted(
            **ids,
            profiler_version=PROFILER_VERSION,
            rows=profile.rows,
            columns=profile.columns,
            candidates=profile.candidates,
        )


def _fields(stored: dict) -> dict:
    return {
        "rows": stored["rows"],
        "columns": stored["columns"],
        "candidates": stored["candidates"],
    }
