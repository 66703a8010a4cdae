"""The profiler's I/O: stored files read for their sample, profiles in MongoDB, the profile
cache in Redis."""
