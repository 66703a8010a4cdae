"""The coordinator's own I/O: the liveness table in Redis. Runs, shards and row indexes are
stored through `textmill_storage`."""
