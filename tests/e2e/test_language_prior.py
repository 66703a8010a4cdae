"""The language chain's prior end to end: short English titles, too few words for a batch
to tell its language, are English once the file's profile says the column is."""

from tests.e2e.conftest import upload
from tests.e2e.runs import all_results, wait_for

TITLES = [
    "Runs small",
    "Summer favourite",
    "Cute but thin",
    "Great buy",
    "Fell apart after one wash",
    "Gorgeous colour, so soft!",
]


def _run_language(client, file_id: str) -> list[dict]:
    started = client.post(
        "/api/v2/analyze", json={"file_id": file_id, "columns": ["title"], "chains": ["language"]}
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    assert wait_for(client, run_id, {"completed", "failed"})["status"] == "completed"
    results = sorted(all_results(client, run_id), key=lambda r: r["record"])
    return [r["chains"]["language"] for r in results]


def _titles_file(client) -> str:
    content = ("id,title\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(TITLES))).encode()
    stored = upload(client, "titles.csv", content)
    assert stored.status_code == 201, stored.text
    return stored.json()["id"]


def test_without_a_profile_short_titles_are_english_or_unsure(alice):
    outputs = _run_language(alice, _titles_file(alice))
    assert {o["prior"] for o in outputs} == {None}
    assert {o["language"] for o in outputs} <= {"en", None}


def test_the_profiles_language_makes_every_short_title_english(alice):
    # Given a file of short English titles, profiled
    file_id = _titles_file(alice)
    profiled = alice.post("/api/v2/profile", json={"file_id": file_id})
    assert profiled.status_code == 200, profiled.text
    # When the language chain runs over the titles
    outputs = _run_language(alice, file_id)
    # Then each is judged with the profile's English as the prior, and comes out English
    assert [(o["language"], o["prior"]) for o in outputs] == [("en", "en")] * len(TITLES)
