"""Every topic name, in one place. Names are `textmill.<kind>.<subject>.v<major>`."""

from dataclasses import dataclass, fields


@dataclass(frozen=True, kw_only=True)
class Topics:
    profile_requested: str = "textmill.commands.profile.v1"
    replies: str = "textmill.replies.v1"
    heartbeats: str = "textmill.events.heartbeat.v1"
    files: str = "textmill.events.file.v1"
    dead_letters: str = "textmill.dead-letters.v1"
    analyze_requested: str = "textmill.commands.analyze.v1"
    shards: str = "textmill.commands.shard.v1"
    analyze_texts: str = "textmill.commands.analyze-texts.v1"
    run_control: str = "textmill.commands.run-control.v1"
    results: str = "textmill.events.results.v1"
    shard_progress: str = "textmill.events.shard-progress.v1"
    runs: str = "textmill.events.run.v1"
    estimate_requested: str = "textmill.commands.estimate.v1"

    def all(self) -> list[str]:
        """Every topic, in declaration order (the services create them at start-up)."""
        return [getattr(self, field.name) for field in fields(self)]


TOPICS = Topics()

# Kafka header naming the contract of a message on a topic that carries several kinds
# (e.g. `profile.completed` or `profile.failed` on the reply topic).
MESSAGE_TYPE_HEADER = "x-message-type"
