"""A file's column languages from its latest profile, kept a while per file, and only the
confident ones."""

from textmill_worker.adapters.column_languages import ColumnLanguages


class Profiles:
    def __init__(self, languages: dict[str, tuple[str, float]]) -> None:
        self.languages, self.reads = languages, 0

    async def column_languages(self, tenant: str, file_id: str) -> dict[str, tuple[str, float]]:
        self.reads += 1
        return self.languages


async def test_a_columns_language_is_read_once_per_file_while_kept():
    profiles = Profiles({"title": ("en", 0.99), "body": ("en", 1.0)})
    languages = ColumnLanguages(profiles)
    assert await languages.of("t", "f", "title") == "en"
    assert await languages.of("t", "f", "body") == "en"
    assert profiles.reads == 1


async def test_an_unsure_guess_or_an_unprofiled_column_gives_no_language():
    languages = ColumnLanguages(Profiles({"title": ("en", 0.3)}))
    assert await languages.of("t", "f", "title") is None
    assert await languages.of("t", "f", "other") is None


async def test_a_file_is_read_again_once_its_languages_are_old():
    profiles = Profiles({"title": ("de", 0.9)})
    languages = ColumnLanguages(profiles, keep_seconds=0.0)
    await languages.of("t", "f", "title")
    await languages.of("t", "f", "title")
    assert profiles.reads == 2


async def test_a_file_without_a_profile_is_asked_again_sooner_than_a_profiled_one():
    profiles = Profiles({})
    languages = ColumnLanguages(profiles, keep_seconds=60.0, keep_unprofiled_seconds=0.0)
    await languages.of("t", "f", "title")
    profiles.languages = {"title": ("en", 0.99)}  # profiled meanwhile
    assert await languages.of("t", "f", "title") == "en"
    assert profiles.reads == 2
