"""The collections a run is stored in (docs/storage-layout.md). Every hot lookup is by `_id`.

- `runs`: one document per run, `_id` = run id; what it knows of each shard under
  `shards.<n>`.
- `shards`: one per shard, `_id` = `<run id>:<n>`; `offset` is the worker's checkpoint.
- `active_runs`: one per queued or running run, `_id` = run id: the coordinator's sweep
  reads it instead of querying `runs` by status.
- `run_ends`: one per ended run, `_id` = run id: the claim of its final status.
- `tenant_runs` (`<tenant>:<n>`) and `run_counters` (`_id` = tenant): each tenant's runs in
  the order they were made.
- `run_estimates`: the estimate made as a run was accepted, `_id` = run id, written once
  by the estimator: a document of its own, as FerretDB v1 loses one of two concurrent
  updates of one document (the estimator's and the coordinator's plan of the run).
- `shard_releases`: one per shard the coordinator has released to the workers, `_id` =
  shard id, inserted once (two replicas releasing the same shard: one insert wins).
- `row_indexes`: a file's row index, `_id` = file id.
- `results`: aligned batches of cells, `_id` = `<run id>:<column position>:<first record>`,
  and the further parts of large ones under `<batch id>/<n>`.
"""

RUNS = "runs"
SHARDS = "shards"
ACTIVE_RUNS = "active_runs"
RUN_ENDS = "run_ends"
TENANT_RUNS = "tenant_runs"
RUN_COUNTERS = "run_counters"
RUN_ESTIMATES = "run_estimates"
SHARD_RELEASES = "shard_releases"
ROW_INDEXES = "row_indexes"
RESULTS = "results"

LOOKUP_WINDOW = 64  # `_id` lookups in flight at once (`find_by_ids`)
