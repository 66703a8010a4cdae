"""The estimator's I/O: the cost model's parameters and the shard history in MongoDB
(`models.py`), a file's sample (`samples.py`), a calibration run of the chains on a worker
over Kafka request/reply (`calibration.py`)."""
