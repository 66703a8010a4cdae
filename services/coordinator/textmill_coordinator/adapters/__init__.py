"""The coordinator's I/O: the liveness table in Redis."""
