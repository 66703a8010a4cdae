"""The profiler's I/O: stored files read for their sample, the profile cache in Redis
(profiles in MongoDB are `textmill_storage.ProfileStore`, which workers read too)."""
