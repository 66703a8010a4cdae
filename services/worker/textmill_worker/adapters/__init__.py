"""The worker's I/O: a shard's rows from the stored file (`rows.py`), read ahead of the store
(`readahead.py`), and where the chains run, a thread or a pool of processes
(`compute.py`). Shards and results are stored through `textmill_storage`."""
