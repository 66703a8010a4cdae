"""The cost model's parameters in MongoDB, each a small document read and written by `_id`:
`chain:<name>` (least-squares statistics, and what shards and calibrations cost by length)
and `layout:<chain processes>` (least-squares statistics, and the layout's pace against the
chains' models), `outcomes` (the
errors of the latest estimates and runs' fixed costs); and `shard_costs`, the history of
completed shards, `_id` = shard id, which also makes folding a shard in idempotent (a
redelivered event finds its shard there).

A change is a read, a change in memory and a write, made under one lock: the estimator's
subscribers run side by side, and two changes of one document would otherwise lose one.
(One estimator replica writes them; several would need a version check on each write.)"""

import asyncio
from collections.abc import Callable, Iterable
from typing import TypeVar

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_contracts.envelope import utc_now
from textmill_contracts.events import ShardCosts
from textmill_estimator.domain.costs import ChainModel, chain_prior
from textmill_estimator.domain.layouts import LayoutModel
from textmill_estimator.domain.outcomes import Outcomes

MODELS, SHARD_COSTS = "estimator_models", "shard_costs"
T = TypeVar("T")


class CostModels:
    def __init__(self, db: AsyncDatabase) -> None:
        self._models, self._history = db[MODELS], db[SHARD_COSTS]
        self._changing = asyncio.Lock()

    async def chain(self, chain: str) -> ChainModel:
        doc = await self._models.find_one({"_id": f"chain:{chain}"})
        return ChainModel.from_fields(doc) if doc else ChainModel(chain_prior(chain))

    async def chains(self, wanted: Iterable[str]) -> dict[str, ChainModel]:
        """Every chain's model stored, and each of `wanted` (its prior where none is), by
        chain, in one read (a handful of small documents, read whole: the store filters by
        `_id` prefix no faster)."""
        docs = await self._models.find({}).to_list()
        stored = {
            str(d["_id"]).removeprefix("chain:"): ChainModel.from_fields(d)
            for d in docs
            if str(d["_id"]).startswith("chain:")
        }
        return {**{chain: ChainModel(chain_prior(chain)) for chain in wanted}, **stored}

    async def change_chain(self, chain: str, change: Callable[[ChainModel], None]) -> None:
        async with self._changing:
            model = await self.chain(chain)
            change(model)
            await self._save(f"chain:{chain}", model.as_fields())

    async def layout(self, chain_processes: int) -> LayoutModel:
        doc = await self._models.find_one({"_id": f"layout:{chain_processes}"})
        return LayoutModel.from_fields(doc) if doc else LayoutModel.prior(chain_processes)

    async def change_layout(
        self, chain_processes: int, change: Callable[[LayoutModel], None]
    ) -> LayoutModel:
        """Apply `change` to the layout's model and store it; the model as changed."""
        async with self._changing:
            layout = await self.layout(chain_processes)
            change(layout)
            await self._save(f"layout:{chain_processes}", layout.as_fields())
            return layout

    async def outcomes(self) -> Outcomes:
        doc = await self._models.find_one({"_id": "outcomes"})
        return Outcomes.from_dict(doc["outcomes"]) if doc else Outcomes()

    async def change_outcomes(self, change: Callable[[Outcomes], T]) -> T:
        """Apply `change` to the outcomes and store them; what `change` returned."""
        async with self._changing:
            outcomes = await self.outcomes()
            result = change(outcomes)
            await self._save("outcomes", {"outcomes": outcomes.as_dict()})
            return result

    async def record_shard(self, shard_id: str, run_id: str, costs: ShardCosts) -> bool:
        """Keep a completed shard's costs; False when it was kept before. (Kept before it is
        folded in: a shard lost between the two is one observation fewer, never one twice.)"""
        doc = {"_id": shard_id, "run_id": run_id, "at": utc_now(), **costs.model_dump()}
        try:
            await self._history.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def _save(self, key: str, fields: dict) -> None:
        await self._models.replace_one({"_id": key}, {"_id": key, **fields}, upsert=True)
