"""The analysis chains a run may ask for, by name. The worker's registry implements exactly
these (a unit test holds the two together); the gateway validates requests against them."""

CHAIN_NAMES: tuple[str, ...] = ("sentiment", "language", "keywords", "pii", "stats")
