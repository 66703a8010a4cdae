"""The coordinator's pure domain: the liveness of service instances, and the messages it
publishes about runs and shards. What a run is (plan, status, progress, stalls) is
`textmill_runs`."""
