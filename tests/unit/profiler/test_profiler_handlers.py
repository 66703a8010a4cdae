"""The profiler's Kafka handlers over in-memory stores and real files on disk: a profile is
answered from the cache, else from the store, else computed from the file's first rows,
stored and cached; a file that cannot be profiled is answered with its error's code; a
deleted file's profiles go."""

import csv
import dataclasses
from pathlib import Path

import pytest

from tests.unit.fakes import (
    FakeProfileCache,
    FakeProfileStore,
    FakePublisher,
    FakeStoredTables,
)
from textmill_contracts import FileDeleted, ProfileCompleted, ProfileFailed, ProfileRequested
from textmill_profiler.domain import PROFILER_VERSION, profile_table
from textmill_profiler.handlers import Deps, drop_profiles, profile_file

TENANT = "tenant-a"
FILE = "file-1"
SHA = "a" * 64
REPLY_TO = "textmill.replies.gateway-1"
HEADER = ["id", "rating", "review"]
ROWS = [
    [str(i), str(1 + i % 5), f"The kettle number {i} boils fast and looks lovely on the shelf."]
    for i in range(12)
]


@pytest.fixture
def deps() -> Deps:
    return Deps(
        publisher=FakePublisher(),
        files=FakeStoredTables(),
        profiles=FakeProfileStore(),
        cache=FakeProfileCache(),
        sample_rows=1000,
        max_columns=50,
    )


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def profile_fields(header: list[str], rows: list[list[str]], total_rows: int) -> dict:
    """A profile as the profiler stores and caches it."""
    profile = profile_table(header, rows)
    return {
        "rows": total_rows,
        "sampled_rows": profile.rows,
        "columns": [c.model_dump(mode="json") for c in profile.columns],
        "candidates": [c.model_dump(mode="json") for c in profile.candidates],
    }


def request(**fields) -> ProfileRequested:
    return ProfileRequested(
        **{
            "correlation_id": "corr-1",
            "reply_to": REPLY_TO,
            "tenant": TENANT,
            "file_id": FILE,
            "sha256": SHA,
            **fields,
        }
    )


def answer(deps: Deps) -> ProfileCompleted | ProfileFailed:
    [sent] = deps.publisher.sent
    return sent.message


async def test_a_cached_profile_is_answered_without_reading_the_file(deps):
    # Given a profile of the file's content in the cache, and no file to read at all
    cached = profile_fields(["name", "note"], [["Ana", "Lovely kettle."]], total_rows=40)
    await deps.cache.put(TENANT, SHA, PROFILER_VERSION, cached)

    # When the file's profile is asked for
    await profile_file(request(), deps)

    # Then the cached profile is the answer, and the file was not opened
    completed = answer(deps)
    assert isinstance(completed, ProfileCompleted)
    assert (completed.rows, completed.sampled_rows) == (40, 1)
    assert [c.name for c in completed.columns] == ["name", "note"]
    assert completed.profiler_version == PROFILER_VERSION
    assert deps.files.opened == []


async def test_a_stored_profile_is_answered_and_cached(deps):
    # Given a profile of the file's content stored, not cached, and no file to read
    stored = profile_fields(["name", "note"], [["Ana", "Lovely kettle."]], total_rows=40)
    await deps.profiles.save(TENANT, FILE, PROFILER_VERSION, SHA, stored)

    # When the file's profile is asked for
    await profile_file(request(), deps)

    # Then the stored profile is the answer, and it is cached for the next request
    completed = answer(deps)
    assert isinstance(completed, ProfileCompleted) and completed.rows == 40
    assert deps.files.opened == []
    assert await deps.cache.get(TENANT, SHA, PROFILER_VERSION) == stored


async def test_a_stored_profile_of_the_files_former_content_is_not_answered(deps, tmp_path):
    # Given a profile stored for the file's former content, and the file as it is now
    former = profile_fields(["name"], [["Ana"]], total_rows=1)
    await deps.profiles.save(TENANT, FILE, PROFILER_VERSION, "b" * 64, former)
    deps.files.add_file(TENANT, FILE, write_csv(tmp_path / "r.csv", HEADER, ROWS))

    # When the profile of its present content is asked for
    await profile_file(request(), deps)

    # Then the file is profiled anew
    completed = answer(deps)
    assert [c.name for c in completed.columns] == HEADER
    assert deps.files.opened == [(TENANT, FILE)]


async def test_a_file_is_profiled_stored_cached_and_answered(deps, tmp_path):
    # Given a stored CSV file, profiled never before
    deps.files.add_file(TENANT, FILE, write_csv(tmp_path / "reviews.csv", HEADER, ROWS))

    # When its profile is asked for
    await profile_file(request(), deps)

    # Then it is computed from the file, with the text column its best candidate
    completed = answer(deps)
    assert isinstance(completed, ProfileCompleted)
    assert (completed.tenant, completed.file_id) == (TENANT, FILE)
    assert (completed.rows, completed.sampled_rows) == (12, 12)
    assert [(c.name, c.inferred_type) for c in completed.columns][2] == ("review", "text")
    assert completed.candidates[0].column == "review"
    # ...and stored and cached as answered
    fields = completed.model_dump(mode="json", include={"rows", "sampled_rows", "columns"})
    stored = await deps.profiles.find(TENANT, FILE, PROFILER_VERSION, SHA)
    assert {k: stored[k] for k in fields} == fields
    assert await deps.cache.get(TENANT, SHA, PROFILER_VERSION) == stored


@pytest.mark.parametrize(
    ("metadata", "rows"), [({"rows": 12}, 12), ({}, 3)], ids=["counted-on-upload", "no-count"]
)
async def test_a_profile_samples_the_first_rows_and_counts_the_whole_file(
    deps, tmp_path, metadata, rows
):
    # Given a 12-row file, with or without the count its upload took, and a 3-row sample
    deps = dataclasses.replace(deps, sample_rows=3)
    path = write_csv(tmp_path / "reviews.csv", HEADER, ROWS)
    deps.files.add_file(TENANT, FILE, path, metadata)

    # When it is profiled
    await profile_file(request(), deps)

    # Then its statistics come from the first three rows, its row count from the upload's
    completed = answer(deps)
    assert completed.sampled_rows == 3
    assert completed.rows == rows
    assert completed.columns[0].rows == 3


async def test_the_answer_goes_to_the_reply_topic_with_the_correlation_id(deps, tmp_path):
    # Given a stored file
    deps.files.add_file(TENANT, FILE, write_csv(tmp_path / "reviews.csv", HEADER, ROWS))

    # When its profile is asked for by a requester with its own reply topic
    await profile_file(request(correlation_id="corr-42", reply_to="textmill.replies.gw-7"), deps)

    # Then the reply goes there, keyed by file, carrying the requester's correlation id
    [sent] = deps.publisher.sent
    assert (sent.method, sent.topic, sent.key, sent.correlation_id) == (
        "reply",
        "textmill.replies.gw-7",
        FILE,
        "corr-42",
    )
    assert sent.message.correlation_id == "corr-42"


async def test_a_missing_file_is_answered_file_not_found_and_leaves_nothing_behind(deps):
    # Given no stored file of that id

    # When its profile is asked for
    await profile_file(request(), deps)

    # Then the answer is file_not_found, and nothing is stored or cached
    failed = answer(deps)
    assert isinstance(failed, ProfileFailed)
    assert (failed.code, failed.status, failed.correlation_id) == ("file_not_found", None, "corr-1")
    assert repr(FILE) in failed.detail
    assert deps.profiles.profiles == {} and deps.cache.entries == {}


@pytest.mark.parametrize(
    ("content", "code", "detail"),
    [
        (b"id,review\n1,fine\n2,bad,extra\n", "malformed_file", "row 3 (line 3) has 3 fields"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "unsupported_format", "PNG image"),
    ],
    ids=["ragged-csv", "png"],
)
async def test_a_file_that_is_no_readable_table_is_answered_with_its_code_and_no_status(
    deps, tmp_path, content, code, detail
):
    # Given a stored file the tabular readers refuse
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    deps.files.add_file(TENANT, FILE, path)

    # When its profile is asked for
    await profile_file(request(), deps)

    # Then the answer carries the reader's code and detail, no HTTP status, and no profile
    # is left behind
    failed = answer(deps)
    assert isinstance(failed, ProfileFailed)
    assert (failed.code, failed.status) == (code, None)
    assert detail in failed.detail
    assert deps.profiles.profiles == {} and deps.cache.entries == {}


async def test_dropping_a_files_profiles_invalidates_the_cache_and_deletes_what_is_stored(deps):
    # Given the file's profiles of two profiler versions, stored and cached, beside another
    # file's profile and another tenant's cached profile of the same content
    fields = profile_fields(["name"], [["Ana"]], total_rows=1)
    for version in ("1.0.0", PROFILER_VERSION):
        await deps.profiles.save(TENANT, FILE, version, SHA, fields)
        await deps.cache.put(TENANT, SHA, version, fields)
    await deps.profiles.save(TENANT, "file-2", PROFILER_VERSION, "c" * 64, fields)
    await deps.cache.put("tenant-b", SHA, PROFILER_VERSION, fields)

    # When the file's deletion is handled
    await drop_profiles(FileDeleted(tenant=TENANT, file_id=FILE, sha256=SHA), deps)

    # Then its profiles are gone from both, and the others stay
    assert list(deps.profiles.profiles) == [(TENANT, "file-2", PROFILER_VERSION)]
    assert list(deps.cache.entries) == [("tenant-b", SHA, PROFILER_VERSION)]


async def test_dropping_profiles_that_are_gone_already_changes_nothing(deps):
    # Given no profile of the file anywhere

    # When its deletion is handled (again)
    await drop_profiles(FileDeleted(tenant=TENANT, file_id=FILE, sha256=SHA), deps)

    # Then nothing fails, and nothing is published
    assert deps.profiles.profiles == {} and deps.cache.entries == {}
    assert deps.publisher.sent == []


async def test_after_a_drop_the_next_request_profiles_the_file_again(deps, tmp_path):
    # Given a file profiled (so stored and cached), then replaced by new content and the old
    # one deleted
    deps.files.add_file(TENANT, FILE, write_csv(tmp_path / "a.csv", HEADER, ROWS))
    await profile_file(request(), deps)
    await drop_profiles(FileDeleted(tenant=TENANT, file_id=FILE, sha256=SHA), deps)
    deps.files.add_file(TENANT, FILE, write_csv(tmp_path / "b.csv", ["note"], [["Lovely."]]))
    deps.publisher.sent.clear()

    # When its profile is asked for again
    await profile_file(request(), deps)

    # Then it is read from the file again rather than answered from what was dropped
    assert [c.name for c in answer(deps).columns] == ["note"]
    assert len(deps.files.opened) == 2
