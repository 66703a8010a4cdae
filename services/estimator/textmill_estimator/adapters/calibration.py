"""A calibration run: a worker analyses some of the file's own cells with the chains asked
for, over Kafka request/reply (the quick analysis), and says what each chain's time cost, in
its chains' thread or pool process as a shard's would. For chains the history of completed
shards says nothing about yet."""

from textmill_contracts.commands import AnalyzeTexts
from textmill_contracts.events import TextsAnalyzed
from textmill_contracts.topics import TOPICS
from textmill_infra.messaging import Publisher
from textmill_infra.replies import ReplyWaiter, decode_reply
from textmill_runs.costs import CellCosts

MAX_TEXTS = 100  # a quick analysis's limit
# A calibration answers in well under a second; one that does not (no worker owns the
# quick-analysis partitions yet, a worker just died) leaves the model as it is, well before
# the asker of the estimate gives up.
TIMEOUT_SECONDS = 5.0


class Calibrator:
    def __init__(
        self, publisher: Publisher, replies: ReplyWaiter, *, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self._publisher, self._replies, self._timeout = publisher, replies, timeout

    async def run(self, chains: list[str], texts: list[str]) -> tuple[CellCosts, int | None]:
        """What `chains` cost over `texts` (at most `MAX_TEXTS` of them are sent), and the
        chain processes of the worker that measured it (the layout whose pace it is at;
        None from a worker of an older build); raises ReplyTimeout when no worker answers
        in time."""
        texts = texts[:MAX_TEXTS]

        reply = await self._replies.ask(
            self._publisher,
            TOPICS.analyze_texts,
            lambda correlation_id, reply_to: AnalyzeTexts(
                correlation_id=correlation_id, reply_to=reply_to, texts=texts, chains=chains
            ),
            what="worker (calibration)",
            timeout=self._timeout,
        )
        analysed = decode_reply(reply, TextsAnalyzed)
        costs = CellCosts()
        costs.count(texts)
        for chain, seconds in analysed.chain_seconds.items():
            costs.charge(chain, seconds)
        return costs, analysed.chain_processes
