"""Every topic name, in one place. Names are `textmill.<kind>.<subject>.v<major>`."""

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Topics:
    profile_requested: str = "textmill.commands.profile.v1"
    replies: str = "textmill.replies.v1"
    heartbeats: str = "textmill.events.heartbeat.v1"
    files: str = "textmill.events.file.v1"
    dead_letters: str = "textmill.dead-letters.v1"

    def all(self) -> list[str]:
        return [
            self.profile_requested,
            self.replies,
            self.heartbeats,
            self.files,
            self.dead_letters,
        ]


TOPICS = Topics()

# Kafka header naming the contract of a message on a topic that carries several kinds
# (e.g. `profile.completed` or `profile.failed` on the reply topic).
MESSAGE_TYPE_HEADER = "x-message-type"
