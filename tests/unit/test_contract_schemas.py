"""The JSON Schemas and the AsyncAPI document in `libs/contracts/generated/` are what the
contracts say today: `make schemas` was run after the last change to a message."""

import json
import re
from pathlib import Path

from textmill_contracts.schemas import (
    CHANNELS,
    PUBLIC_TOPICS,
    asyncapi_document,
    json_schemas,
    served_asyncapi_document,
)
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


def test_the_asyncapi_document_is_the_contracts_own_and_names_every_topic():
    # Given the committed AsyncAPI document
    document = json.loads((GENERATED / "asyncapi.json").read_text())
    # Then it is the contracts' own, and every topic has a channel, the dead letters' too
    assert document == asyncapi_document()
    assert set(CHANNELS) == set(TOPICS.all()) - {TOPICS.dead_letters}
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == set(TOPICS.all())


def test_the_served_asyncapi_document_holds_every_payload_schema_it_refers_to():
    # Given the document the gateway serves, in one piece
    document = served_asyncapi_document()
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    # Then every schema it refers to is inside it, and no reference points outside
    assert refs and refs <= set(document["components"]["schemas"])
    assert '"schemas/' not in json.dumps(document)


def test_the_results_topic_is_declared_public_and_every_other_internal():
    channels = asyncapi_document()["channels"].values()
    public = {c["address"] for c in channels if c["tags"] == [{"name": "public"}]}
    assert public == {TOPICS.results} == set(PUBLIC_TOPICS)
    assert all(c["tags"] == [{"name": "internal"}] for c in channels if c["address"] not in public)
