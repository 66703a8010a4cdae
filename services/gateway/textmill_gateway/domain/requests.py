"""The JSON bodies the API takes (every one refuses a field it does not know, by name), and
the checks of a run's against the file and the chains there are (pure: refusals with stable
codes). Their JSON Schemas, as pydantic writes them, are what the OpenAPI document shows.

`{file_id, selected_columns, options: {chains | chain_type}}` (the spec) and
`{file_id, columns, chains}` both start a run. The chains are named once: a body naming
them in two places is refused rather than one of them silently ignored, and so is an
option this release does not know."""

from collections.abc import Sequence

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from textmill_contracts.chains import CHAIN_NAMES, model_chain
from textmill_gateway.domain.principal import TENANT_PATTERN, Role
from textmill_gateway.domain.refusals import Refusal
from textmill_runs import DEFAULT_PRIORITY, Priority

MAX_COLUMNS_PER_RUN = 50
MAX_CHAINS_NAMED = 100  # repeats allowed (they count once), within reason
DEFAULT_CHAINS = ("sentiment",)
SHOWN_CHARS = 200  # of a name echoed back in a problem
MAX_TEXTS, MAX_TEXT_CHARS = 100, 100_000  # of a quick analysis
MAX_V1_TEXT_CHARS = 512  # of a v1 text task
MAX_GRACE_SECONDS = 7 * 24 * 3600  # a rotated key's


class RunOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chains: list[str] | None = Field(default=None, max_length=MAX_CHAINS_NAMED)
    chain_type: str | None = Field(default=None, max_length=SHOWN_CHARS)


def _named(field: str, json_type: str) -> dict:
    return {"required": [field], "properties": {field: {"type": json_type}}}


def _in_options(field: str, json_type: str) -> dict:
    return {
        "required": ["options"],
        "properties": {"options": {"type": "object", **_named(field, json_type)}},
    }


def _analyze_schema(schema: dict) -> None:
    """What the validators below check, said in JSON Schema: the columns named once (as
    `columns` or `selected_columns`), the chains in one place at most."""
    properties = schema["properties"]
    properties["selected_columns"] = {**properties["columns"], "title": "Selected Columns"}
    schema["required"] = [field for field in schema.get("required", []) if field != "columns"]
    schema["oneOf"] = [{"required": ["columns"]}, {"required": ["selected_columns"]}]
    places = [
        _named("chains", "array"),
        _named("chain_type", "string"),
        _in_options("chains", "array"),
        _in_options("chain_type", "string"),
    ]
    pairs = [{"allOf": [a, b]} for i, a in enumerate(places) for b in places[i + 1 :]]
    schema["not"] = {"anyOf": pairs}


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_analyze_schema)

    file_id: str = Field(min_length=1, max_length=64)
    columns: list[str] = Field(
        max_length=MAX_COLUMNS_PER_RUN,
        validation_alias=AliasChoices("columns", "selected_columns"),
    )
    chains: list[str] | None = Field(default=None, max_length=MAX_CHAINS_NAMED)
    chain_type: str | None = Field(default=None, max_length=SHOWN_CHARS)
    options: RunOptions | None = None
    priority: Priority = Field(
        default=DEFAULT_PRIORITY,
        description="whose shards the workers get first: every high run's before any normal "
        "one's, every normal run's before any low one's; tenants take turns within a priority. "
        "high is for runs of at most TEXTMILL_HIGH_PRIORITY_MAX_CELLS cells (10,000) unless "
        "an admin asks (403 forbidden otherwise)",
    )

    @model_validator(mode="before")
    @classmethod
    def _columns_named_once(cls, data: object) -> object:
        if isinstance(data, dict) and "columns" in data and "selected_columns" in data:
            raise ValueError("name the columns once: columns or selected_columns")
        return data

    @model_validator(mode="after")
    def _chains_named_once(self) -> "AnalyzeRequest":
        options = self.options or RunOptions()
        named = [
            chains
            for chains in (
                self.chains,
                [self.chain_type] if self.chain_type is not None else None,
                options.chains,
                [options.chain_type] if options.chain_type is not None else None,
            )
            if chains is not None
        ]
        if len(named) > 1:
            raise ValueError(
                "name the chains once: chains, chain_type, options.chains or options.chain_type"
            )
        self.chains = named[0] if named else list(DEFAULT_CHAINS)
        return self


def shown(name: str) -> str:
    """A name as a problem echoes it: whole, or its start when it is long."""
    return name if len(name) <= SHOWN_CHARS else f"{name[:SHOWN_CHARS]}… ({len(name):,} chars)"


class AnalyzeTextsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[str] = Field(min_length=1, max_length=MAX_TEXTS)
    chains: list[str] = Field(default_factory=lambda: list(DEFAULT_CHAINS), min_length=1)


class ProfileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_id: str = Field(min_length=1, max_length=64)


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64, pattern=TENANT_PATTERN)
    role: Role


class RotateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="how long the old key keeps working (0: refused at once)",
    )


class TextTaskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_V1_TEXT_CHARS)


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    AnalyzeRequest,
    AnalyzeTextsRequest,
    ProfileRequest,
    KeyRequest,
    RotateRequest,
    TextTaskRequest,
)


def chosen_columns(columns: list[str], header: list[str]) -> list[str]:
    """The columns to analyse, each once, in the order asked; all of them the file's."""
    chosen = list(dict.fromkeys(columns))
    if not chosen:
        raise Refusal("empty_selection", "select at least one column to analyse")
    unknown = [shown(c) for c in chosen if c not in header]
    if unknown:
        raise Refusal(
            "unknown_column",
            f"no column named {', '.join(map(repr, unknown[:20]))}",
            unknown=unknown,
            available=[shown(c) for c in header[:200]],
        )
    return chosen


def chosen_chains(chains: list[str] | None, models: Sequence[str] = ()) -> list[str]:
    """The chains to run, each once, in the order asked; all of them chains there are: the
    built-in ones and `model:<name>` for each of `models` (the models folder's)."""
    names = [*CHAIN_NAMES, *map(model_chain, models)]
    chosen = list(dict.fromkeys(chains or ()))
    unknown = [shown(c) for c in chosen if c not in names]
    if not chosen or unknown:
        raise Refusal(
            "unknown_chain",
            f"unknown chain {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"the chains are {', '.join(names)}",
            available=names,
        )
    return chosen


def checked_texts(texts: list[str]) -> list[str]:
    too_long = [i for i, text in enumerate(texts) if len(text) > MAX_TEXT_CHARS]
    if too_long:
        raise Refusal("too_large", f"texts {too_long[:10]} exceed {MAX_TEXT_CHARS:,} characters")
    return texts
