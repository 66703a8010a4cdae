"""The gateway's pure domain: what a request may ask (`requests`, `positions`), who asks
(`principal`), what is refused and why (`refusals`), how a run is shown (`run_view`),
summarised (`summary`) and exported (`export`).

No I/O here: plain functions and classes over request bodies, result cells and rows,
testable without a store.
"""
