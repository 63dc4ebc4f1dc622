"""Follow the champion alias: load, verify and smoke-test a new version, then swap it in.

A version whose digest tag moved (an erasure rewrote its files) counts as new: a running server
stops serving the files from before the erasure at its next poll.

The swap is one attribute assignment on the app state; a request reads the handle once, so it
is answered wholly by the old model or wholly by the new one. A version that fails
verification is never swapped in and not retried; the old model keeps serving.
"""

import asyncio
import logging
from typing import Protocol

import anyio.to_thread
from starlette.datastructures import State

from serving.metrics import ServiceMetrics
from serving.model import ChampionRef, ModelHandle, ModelRejected

logger = logging.getLogger(__name__)


class Registry(Protocol):
    def champion(self) -> ChampionRef | None: ...

    def load(self, ref: ChampionRef) -> ModelHandle: ...


class ModelReloader:
    def __init__(self, state: State, registry: Registry, metrics: ServiceMetrics) -> None:
        self.state = state
        self.registry = registry
        self.metrics = metrics
        self.rejected: set[ChampionRef] = set()

    async def poll_once(self) -> None:
        """One check of the alias; every failure is logged and counted, never raised."""
        try:
            ref = await anyio.to_thread.run_sync(self.registry.champion)
        except Exception:
            logger.exception("could not read the champion alias; keeping the current model")
            self.metrics.reload_failures.inc()
            return
        current: ModelHandle | None = self.state.model
        if ref is None or ref in self.rejected:
            return
        if current is not None and (current.version, current.digest) == (ref.version, ref.digest):
            return
        try:
            handle = await anyio.to_thread.run_sync(self.registry.load, ref)
        except ModelRejected as exc:
            self.rejected.add(ref)
            self.metrics.reload_failures.inc()
            logger.error("refusing to serve version %s: %s", ref.version, exc)
            return
        except Exception:
            self.metrics.reload_failures.inc()
            logger.exception("loading version %s failed; will retry", ref.version)
            return
        self.state.model = handle
        self.metrics.set_model(handle)
        logger.info(
            "now serving version %s (was %s)",
            handle.version,
            current.version if current else "none",
        )

    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.poll_once()
