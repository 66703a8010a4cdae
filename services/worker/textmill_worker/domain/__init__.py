"""The worker's pure domain: the analysis chains (`chains/`: sentiment, language, keywords,
PII, statistics) and the runner that applies them to a batch of cells, recording a cell
that is empty as skipped and one that breaks a chain as failed. Who holds a shard and the
result-batch layout are `textmill_runs`."""
