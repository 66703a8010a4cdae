"""The languages of a file's columns in its latest profile (`textmill_storage.ProfileStore`),
kept a minute per file: a run's shards of one column ask again and again, and the read is a
scan FerretDB cannot push down. A file without a profile is asked again after 5 seconds: a
user who profiles it now should not wait a minute for the prior."""

import time
from typing import Protocol

KEEP_SECONDS = 60.0
KEEP_UNPROFILED_SECONDS = 5.0
MAX_FILES = 512
MIN_CONFIDENCE = 0.5  # below it the profile's guess is no prior worth having


class ProfileLanguages(Protocol):
    async def column_languages(self, tenant: str, file_id: str) -> dict[str, tuple[str, float]]: ...


class ColumnLanguages:
    def __init__(
        self,
        profiles: ProfileLanguages,
        *,
        keep_seconds: float = KEEP_SECONDS,
        keep_unprofiled_seconds: float = KEEP_UNPROFILED_SECONDS,
    ):
        self._profiles, self._keep = profiles, keep_seconds
        self._keep_unprofiled = min(keep_seconds, keep_unprofiled_seconds)
        self._kept: dict[tuple[str, str], tuple[float, dict[str, tuple[str, float]]]] = {}

    async def of(self, tenant: str, file_id: str, column: str) -> str | None:
        """The column's language in the file's profile; None when not profiled or unsure."""
        key, now = (tenant, file_id), time.monotonic()
        kept = self._kept.get(key)
        if kept is None or now - kept[0] > (self._keep if kept[1] else self._keep_unprofiled):
            if len(self._kept) >= MAX_FILES:
                self._kept.clear()
            kept = self._kept[key] = (now, await self._profiles.column_languages(*key))
        language, confidence = kept[1].get(column, (None, 0.0))
        return language if confidence >= MIN_CONFIDENCE else None
