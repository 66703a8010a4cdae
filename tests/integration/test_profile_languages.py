"""The column languages of a file's latest profile, read by workers from the profiles the
profiler stores (`ProfileStore`), against the real FerretDB."""

from textmill_storage import ProfileStore


def _columns(language: str) -> list[dict]:
    return [
        {"name": "title", "language": language, "language_confidence": 0.97},
        {"name": "id", "language": None, "language_confidence": None},
    ]


async def test_the_latest_profile_of_the_file_gives_its_columns_languages(scratch_db):
    # Given two profiles of one file (two profiler versions) and one of another file
    store = ProfileStore(scratch_db)
    await store.save("t1", "f1", "1.1.0", "sha", {"columns": _columns("de")})
    await store.save("t1", "f1", "1.2.0", "sha", {"columns": _columns("en")})
    await store.save("t1", "f2", "1.2.0", "sha", {"columns": _columns("fr")})
    # When a worker asks for the file's column languages
    languages = await store.column_languages("t1", "f1")
    # Then the latest profile's text columns answer, and nothing for another tenant
    assert languages == {"title": ("en", 0.97)}
    assert await store.column_languages("t2", "f1") == {}
