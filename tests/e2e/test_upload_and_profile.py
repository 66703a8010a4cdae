"""The thin slice through the whole system: upload a CSV, profile it over Kafka, get ranked
candidates back."""

from tests.e2e.conftest import upload
from tests.e2e.data import reviews_csv


def test_uploaded_csv_is_stored_with_its_tenant_size_and_hash(alice):
    # Given a CSV file
    content = reviews_csv(50)
    # When it is uploaded
    response = upload(alice, "reviews.csv", content)
    # Then it is stored with its size, hash and shape
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["size"] == len(content)
    assert len(stored["sha256"]) == 64
    assert (stored["rows"], stored["columns"], stored["format"]) == (50, 6, "csv")
    assert alice.get(f"/api/v2/files/{stored['id']}").json() == stored


def test_profile_ranks_the_review_body_first_and_sorts_by_final_score(alice):
    # Given an uploaded table of product reviews
    file_id = upload(alice, "reviews.csv", reviews_csv()).json()["id"]
    # When it is profiled
    response = alice.post("/api/v2/profile", json={"file_id": file_id})
    # Then candidates come back sorted by final_score, the free-text body first
    assert response.status_code == 200, response.text
    profile = response.json()
    scores = [c["final_score"] for c in profile["candidates"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    ranked = [c["column"] for c in profile["candidates"]]
    assert ranked[0] == "body"
    assert ranked.index("title") < min(
        ranked.index(c) for c in ("category", "review_id", "rating", "created_at")
    )
    assert profile["rows"] == 200
    assert {c["name"] for c in profile["columns"]} == set(ranked)
    assert profile["candidates"][0]["signals"] and profile["candidates"][0]["samples"]
    body = next(c for c in profile["columns"] if c["name"] == "body")
    assert body["language"] == "en"


def test_profiling_twice_gives_the_same_profile(alice):
    # Given a profiled file
    file_id = upload(alice, "reviews.csv", reviews_csv(80)).json()["id"]
    first = alice.post("/api/v2/profile", json={"file_id": file_id}).json()
    # When it is profiled again
    second = alice.post("/api/v2/profile", json={"file_id": file_id}).json()
    # Then the answer is the same
    assert first == second


def test_header_only_file_profiles_to_zero_rows(alice):
    # Given a CSV with a header and no rows
    file_id = upload(alice, "empty.csv", b"a,b,c\n").json()["id"]
    # When it is profiled
    profile = alice.post("/api/v2/profile", json={"file_id": file_id}).json()
    # Then the profile has zero rows, and no column is a candidate worth anything
    assert profile["rows"] == 0
    assert all(c["final_score"] == 0 for c in profile["candidates"])


def test_files_list_shows_only_the_tenants_files(alice, bob):
    # Given a file uploaded by alice
    file_id = upload(alice, "reviews.csv", reviews_csv(10)).json()["id"]
    # When each tenant lists files
    # Then alice sees it and bob does not
    assert file_id in [f["id"] for f in alice.get("/api/v2/files").json()["items"]]
    assert file_id not in [f["id"] for f in bob.get("/api/v2/files").json()["items"]]


def test_deleted_file_is_gone(alice):
    # Given an uploaded file
    file_id = upload(alice, "reviews.csv", reviews_csv(10)).json()["id"]
    # When it is deleted
    assert alice.delete(f"/api/v2/files/{file_id}").status_code == 204
    # Then reading or profiling it answers 404
    assert alice.get(f"/api/v2/files/{file_id}").status_code == 404
    assert alice.post("/api/v2/profile", json={"file_id": file_id}).status_code == 404


def test_profiling_the_same_file_again_is_served_from_the_cache(alice):
    import httpx

    from textmill_infra.settings import Settings

    stats_url = f"http://127.0.0.1:{Settings().port_for('profiler')}/cache/stats"
    # Given a profiled file
    file_id = upload(alice, "reviews.csv", reviews_csv(60, seed=11)).json()["id"]
    alice.post("/api/v2/profile", json={"file_id": file_id})
    hits_before = httpx.get(stats_url).json()["hits"]
    # When it is profiled again
    assert alice.post("/api/v2/profile", json={"file_id": file_id}).status_code == 200
    # Then the profiler's cache answered it
    stats = httpx.get(stats_url).json()
    assert stats["hits"] > hits_before
    assert 0 < stats["bytes"] <= stats["max_bytes"]


def test_a_large_file_is_profiled_on_a_sample_and_counts_every_row(alice):
    from textmill_infra.settings import Settings

    sample = Settings().profile_sample_rows
    # Given a file with more rows than the profile's sample
    file_id = upload(alice, "big.csv", reviews_csv(sample + 1_500, seed=5)).json()["id"]
    # When it is profiled
    profile = alice.post("/api/v2/profile", json={"file_id": file_id}).json()
    # Then statistics come from the sample, and the row count is the whole file's
    assert profile["rows"] == sample + 1_500
    assert profile["sampled_rows"] == sample
    assert {c["rows"] for c in profile["columns"]} == {sample}
    assert profile["candidates"][0]["column"] == "body"
