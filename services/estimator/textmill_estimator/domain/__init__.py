"""The estimator's pure domain: the cost model of the chains and of the worker layouts,
fitted on completed shards (`fitting`, `costs`, `layouts`); what a file's sample says of the
cells to analyse (`sample`); the run's time, interval, tokens and cost (`estimate`); the
workers alive (`capacity`). Plain functions over plain data, tested without servers."""
