"""Writes the JSON Schema of every message and an AsyncAPI 3.0 document of the topics.

Run: `python -m textmill_contracts.schemas libs/contracts/schemas`.
"""

import json
import sys
from pathlib import Path

from textmill_contracts.commands import (
    AnalyzeRequested,
    AnalyzeTexts,
    EstimateRequested,
    ProfileRequested,
    ShardAssigned,
)
from textmill_contracts.envelope import Message
from textmill_contracts.events import (
    EstimateCompleted,
    EstimateFailed,
    FileDeleted,
    Heartbeat,
    ProfileCompleted,
    ProfileFailed,
    ResultBatch,
    RunCancelled,
    RunUpdated,
    ShardProgress,
    TextsAnalyzed,
)
from textmill_contracts.topics import TOPICS

# topic -> the messages that may appear on it, and who sends them.
CHANNELS: dict[str, tuple[str, list[type[Message]]]] = {
    TOPICS.profile_requested: ("gateway", [ProfileRequested]),
    TOPICS.replies: (
        "profiler, worker, estimator",
        [ProfileCompleted, ProfileFailed, TextsAnalyzed, EstimateCompleted, EstimateFailed],
    ),
    TOPICS.heartbeats: ("every service", [Heartbeat]),
    TOPICS.files: ("gateway", [FileDeleted]),
    TOPICS.analyze_requested: ("gateway", [AnalyzeRequested]),
    TOPICS.run_control: ("gateway", [RunCancelled]),
    TOPICS.shards: ("coordinator", [ShardAssigned]),
    TOPICS.analyze_texts: ("gateway", [AnalyzeTexts]),
    TOPICS.results: ("worker", [ResultBatch]),
    TOPICS.shard_progress: ("worker", [ShardProgress]),
    TOPICS.runs: ("coordinator", [RunUpdated]),
    TOPICS.estimate_requested: ("gateway", [EstimateRequested]),
}

# Topics other systems may subscribe to: their messages change only by adding fields (a minor
# schema_version); a breaking change goes to a new topic (.v2) beside the old one for a time.
# Every other topic is internal to textmill and may change with it.
PUBLIC_TOPICS: dict[str, str] = {
    TOPICS.results: (
        "Public: the analysed cells of every run, as workers store them, keyed by run_id. "
        "Delivered at least once (a redone shard republishes the same batches): dedupe on "
        "(run_id, column, record). See docs/results-topic.md and examples/result_subscriber.py."
    ),
}


# Messages no handler could act on, as they were, with why and where from (`dead_letter()`
# in textmill_infra.messaging): their payload is whatever the original was.
DEAD_LETTER = {
    "name": "dead-letter",
    "title": "DeadLetter",
    "summary": "A message parked because it can never be acted on; its body as it arrived",
    "contentType": "application/octet-stream",
    "headers": {
        "type": "object",
        "properties": {
            "x-dead-letter-reason": {"type": "string", "maxLength": 500},
            "x-original-topic": {"type": "string"},
            "x-original-partition": {"type": "string", "pattern": "^[0-9]+$"},
            "x-original-offset": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "required": ["x-dead-letter-reason", "x-original-topic"],
    },
    "payload": {"description": "the original message's body, unchanged (any bytes)"},
}


def json_schemas() -> dict[str, dict]:
    out = {}
    for _, models in CHANNELS.values():
        for model in models:
            schema = model.model_json_schema()
            schema["$id"] = f"textmill:{model.schema_name}:{_default_version(model)}"
            out[model.schema_name] = schema
    return out


def asyncapi_document() -> dict:
    channels, operations, messages = {}, {}, {}
    for topic, (sender, models) in CHANNELS.items():
        key = topic.replace(".", "_").replace("-", "_")
        refs = {}
        for model in models:
            messages[model.schema_name] = {
                "name": model.schema_name,
                "title": model.__name__,
                "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
                "contentType": "application/json",
                "payload": {"$ref": f"schemas/{model.schema_name}.json"},
            }
            refs[model.schema_name] = {"$ref": f"#/components/messages/{model.schema_name}"}
        channels[key] = {
            "address": topic,
            "messages": refs,
            "description": PUBLIC_TOPICS.get(topic, "Internal to textmill."),
            "tags": [{"name": "public" if topic in PUBLIC_TOPICS else "internal"}],
        }
        operations[f"send_{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"published by {sender}",
        }
    key = TOPICS.dead_letters.replace(".", "_").replace("-", "_")
    messages[DEAD_LETTER["name"]] = DEAD_LETTER
    channels[key] = {
        "address": TOPICS.dead_letters,
        "messages": {DEAD_LETTER["name"]: {"$ref": f"#/components/messages/{DEAD_LETTER['name']}"}},
        "description": "Internal to textmill.",
        "tags": [{"name": "internal"}],
    }
    operations[f"send_{key}"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{key}"},
        "summary": "published by every consumer, for a message it can never act on",
    }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "textmill topics", "version": "1.0.0"},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def served_asyncapi_document() -> dict:
    """The AsyncAPI document in one piece, as the gateway serves it: each payload's JSON
    Schema under `components.schemas` (the written document refers to files beside it)."""
    document = asyncapi_document()
    schemas: dict[str, dict] = {}
    for _, models in CHANNELS.values():
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            document["components"]["messages"][model.schema_name]["payload"] = {
                "$ref": f"#/components/schemas/{model.__name__}"
            }
    document["components"]["schemas"] = schemas
    return document


def _default_version(model: type[Message]) -> str:
    return model.model_fields["schema_version"].default


def write(target: Path) -> list[Path]:
    (target / "schemas").mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = target / "schemas" / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    path = target / "asyncapi.json"
    path.write_text(json.dumps(asyncapi_document(), indent=2, sort_keys=True) + "\n")
    written.append(path)
    return written


if __name__ == "__main__":
    for p in write(Path(sys.argv[1] if len(sys.argv) > 1 else "libs/contracts/generated")):
        print(p)
