"""The analysis chains a run may ask for, by name. The worker's registry implements exactly
these (a unit test holds the two together); the gateway validates requests against them.

Besides them, `model:<name>` names a user's own classifier in the models folder
(`TEXTMILL_MODELS_DIR`), which the gateway and the worker both read."""

CHAIN_NAMES: tuple[str, ...] = ("sentiment", "language", "keywords", "pii", "stats")
MODEL_PREFIX = "model:"


def model_chain(model: str) -> str:
    """The chain name of the model called `model`."""
    return f"{MODEL_PREFIX}{model}"


def model_of(chain: str) -> str | None:
    """The model a `model:<name>` chain names, or None for any other chain."""
    return chain.removeprefix(MODEL_PREFIX) if chain.startswith(MODEL_PREFIX) else None
