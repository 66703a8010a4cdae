"""The gateway's pure domain: summarising a run's results and shaping its exports.

No I/O here: plain functions and classes over result documents and rows, so a run of any
size streams through in bounded memory and every rule is testable without a store.
"""
