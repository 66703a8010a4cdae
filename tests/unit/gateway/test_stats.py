"""The tally behind `GET /api/v2/stats`: counts and bytes per tenant, runs by status, and
which shards are waiting or under way."""

from textmill_gateway.domain.stats import StoreStats


def shard(total: int, cells: int = 0, done: bool = False) -> dict:
    return {"column": "review", "total": total, "cells": cells, "done": done}


def test_files_and_runs_are_counted_per_tenant() -> None:
    # Given two tenants' files and runs
    stats = StoreStats()
    stats.add_file("acme", 1_000)
    stats.add_file("acme", 500)
    stats.add_file("zeta", 7)
    stats.add_run(
        "acme", "completed", 200, {"0": shard(100, 100, True), "1": shard(100, 100, True)}
    )
    # When they are tallied
    tenants = {row["tenant"]: row for row in stats.as_dict(workers_alive=0)["tenants"]}
    # Then each tenant has its own counts and bytes
    assert tenants["acme"] == {
        "tenant": "acme",
        "files": 2,
        "file_bytes": 1_500,
        "runs": 1,
        "cells": 200,
        "cells_done": 200,
    }
    assert tenants["zeta"]["files"] == 1 and tenants["zeta"]["runs"] == 0


def test_a_shard_is_queued_until_its_first_cells_then_running_until_done() -> None:
    # Given a running run with a shard done, one begun and two not begun
    stats = StoreStats()
    shards = {"0": shard(10, 10, True), "1": shard(10, 4), "2": shard(10), "3": shard(10)}
    stats.add_run("acme", "running", 40, shards)
    # When it is tallied
    answer = stats.as_dict(workers_alive=2)
    # Then two shards wait, one is under way, and the workers alive are passed on
    assert (answer["shards_queued"], answer["shards_running"]) == (2, 1)
    assert answer["workers_alive"] == 2


def test_the_shards_of_ended_runs_are_neither_queued_nor_running() -> None:
    # Given a cancelled run whose shards never finished
    stats = StoreStats()
    stats.add_run("acme", "cancelled", 20, {"0": shard(10), "1": shard(10, 3)})
    # Then none of its shards counts as waiting or under way, and its status is counted
    answer = stats.as_dict(workers_alive=0)
    assert (answer["shards_queued"], answer["shards_running"]) == (0, 0)
    assert answer["runs_by_status"] == {"cancelled": 1}
