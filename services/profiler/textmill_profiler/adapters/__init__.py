"""The profiler's I/O: reading stored files out of GridFS, keeping profiles in MongoDB."""
