"""The JSON Schemas and the AsyncAPI document in `libs/contracts/generated/` are what the
contracts say today: `make schemas` was run after the last change to a message."""

import json
from pathlib import Path

from textmill_contracts.schemas import CHANNELS, asyncapi_document, json_schemas
from textmill_contracts.topics import TOPICS

GENERATED = Path(__file__).resolve().parents[2] / "libs" / "contracts" / "generated"


def test_every_generated_schema_is_the_contracts_own():
    # Given the schemas the contracts give now
    for name, schema in json_schemas().items():
        # Then the committed file of each is the same
        committed = json.loads((GENERATED / "schemas" / f"{name}.json").read_text())
        assert committed == schema, f"run `make schemas`: {name} changed"


def test_no_generated_schema_is_left_of_a_message_that_is_gone():
    written = {path.stem for path in (GENERATED / "schemas").glob("*.json")}
    assert written == set(json_schemas())


def test_the_asyncapi_document_is_the_contracts_own_and_names_every_topic_but_dead_letters():
    assert json.loads((GENERATED / "asyncapi.json").read_text()) == asyncapi_document()
    assert set(CHANNELS) == set(TOPICS.all()) - {TOPICS.dead_letters}
