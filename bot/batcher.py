"""Group commit: callers that arrive while a batch is being written wait for the next one, together."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class Batcher(Generic[Item, Answer]):
    """`await batcher(item)` hands `item` to `write`, which takes a list and returns one answer per item.

    The first caller starts a writer; everyone who arrives before that writer's next turn joins its batch.
    A failed write fails every caller of that batch (each sees the exception); later batches go on.
    """

    def __init__(self, write: Callable[[list[Item]], Awaitable[list[Answer]]]) -> None:
        self.write = write
        self.waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def accept(self, item: Item) -> Answer:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.ensure_future(self._drain())
        return await future  # a caller that gives up cancels only its own wait; its batch goes on

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                answers = await self.write([item for item, _ in batch])
            except BaseException as error:  # every caller of this batch learns why
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error if isinstance(error, Exception) else RuntimeError(
                            "the batch was cancelled"))
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)
