"""The composition root: create_app builds the engine, org, clock, renderer and dispatcher; nothing else does."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.batcher import Batcher
from bot.dispatcher import Deliverer, Dispatcher
from bot.settings import Settings
from handlers import dispatch
from handlers.base import Actor, Command, Context, Outcome, Refusal
from handlers.clock import Clock, SystemClock
from handlers.org import Org, load_org
from messages.render import Renderer
from storage import db, inbox, org_sync
from storage.models import InboxRequest, OutboxMessage

log = logging.getLogger(__name__)
DEMO_ORG = Path(__file__).parent / "demo.toml"
PATIENCE = 2.0  # seconds that work nobody waits on gives way to requests waiting for their answers
LULL = 0.05  # seconds without a request before such work starts
UNAVAILABLE = (OperationalError, DBAPIError, OSError, ConnectionError, TimeoutError)  # the database, that is
UNREACHABLE = ("I couldn't reach the pain-point ledger just now, so nothing was saved. "
               "Please try again in a minute.")


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    org: Org
    clock: Clock
    renderer: Renderer
    dispatcher: Dispatcher
    deliverers: list[Deliverer] = field(default_factory=list)
    # doors kick the dispatcher after a change instead of waiting for its next tick (tests turn this off)
    prompt_delivery: bool = True
    gate: db.WriteGate = field(default_factory=lambda: db.WriteGate(None))  # transactions take turns
    slack: Any = None  # the Slack delivery, when Slack is configured (bot.slack.delivery.SlackDelivery)
    teams: Any = None  # the Teams door, when Teams is configured (bot.teams.door.TeamsDoor)
    slack_door: Any = None  # the Slack door, once the server mounts it (bot.slack.door.SlackDoor)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    intake: Batcher[tuple[str, dict[str, Any]], int | None] = field(init=False)
    answering: int = 0  # requests to this process still waiting for their HTTP answer
    last_request: float = float("-inf")  # when the latest came in or was answered (event-loop time)
    lull: float = LULL
    patience: float = PATIENCE
    quiet: asyncio.Event = field(default_factory=asyncio.Event)  # set while none is

    def __post_init__(self) -> None:
        self.intake = Batcher(self._accept_batch)
        self.quiet.set()
        self.dispatcher.yield_to = self.after_answers

    @contextmanager
    def answer_owed(self) -> Iterator[None]:
        """Held by a door while a request waits for its HTTP answer."""
        self.answering += 1
        self.last_request = asyncio.get_running_loop().time()
        self.quiet.clear()
        try:
            yield
        finally:
            self.answering -= 1
            self.last_request = asyncio.get_running_loop().time()
            if not self.answering:
                self.quiet.set()

    async def after_answers(self, since: float) -> None:
        """Work that nobody is waiting on (a command already answered, a notification), due since `since`
        (event-loop time), waits here while requests wait for their answers, `patience` seconds at most:
        Slack gives up on an answer after 3 s, while a confirmation or a DM can come a moment later.

        It goes once no request has come or been answered for a moment (`lull`): requests come in waves, and
        the gap between two waves is no time to start. Under a burst the work follows the answers.
        """
        loop = asyncio.get_running_loop()
        deadline = since + self.patience
        while loop.time() < deadline:
            lull = self.last_request + self.lull - loop.time()
            if not self.answering and lull <= 0:
                return
            with suppress(TimeoutError):
                if self.answering:
                    await asyncio.wait_for(self.quiet.wait(), deadline - loop.time())
                else:
                    await asyncio.sleep(min(lull, deadline - loop.time()))

    async def prepare(self) -> None:
        """Migrate the schema and load the org file (both idempotent; replicas take turns)."""
        async with db.startup_lock(self.engine):
            await db.migrate(self.engine)
            async with self.sessions() as session, session.begin():
                await org_sync.apply(session=session, org=self.org)

    async def run(self, cmd: Command) -> Outcome:
        """Handle one command in one transaction: its state change and its notifications commit together."""
        try:
            return await self.work(cmd)
        except UNAVAILABLE:
            log.exception("database unavailable while handling %s for %s", cmd.action, cmd.actor.identity)
            return Outcome.refused(UNREACHABLE)

    async def work(self, cmd: Command, *, finishes: int | None = None) -> Outcome:
        """Like run, for a request written down in the inbox: `finishes` is its id, marked done in the same
        transaction. A database failure is raised, not answered: the request stays for `unfinished`."""
        try:
            async with self.gate(), self.sessions() as session, session.begin():
                outcome = await dispatch.handle(cmd, Context(session=session, clock=self.clock, org=self.org))
                if finishes is not None:
                    await inbox.done(session=session, request_id=finishes, at=self.clock.now())
                return outcome
        except Refusal as refusal:  # raised through the transaction, which rolled back: nothing changed
            if finishes is not None:
                await self.finished(finishes)
            return dispatch.refused(refusal)

    async def accept(self, key: str, payload: dict[str, Any]) -> int | None:
        """Write a request down before answering it; None when this delivery was accepted before.

        Requests arriving together are written down together: one transaction for all that came while the
        previous one committed (a group commit), so a burst costs a few transactions, not one each.
        """
        return await self.intake.accept((key, payload))

    async def _accept_batch(self, requests: list[tuple[str, dict[str, Any]]]) -> list[int | None]:
        async with self.gate(urgent=True), self.sessions() as session, session.begin():
            return await inbox.accept_many(session=session, requests=requests, at=self.clock.now(),
                                           lease=timedelta(seconds=self.settings.inbox_lease))

    async def finished(self, request_id: int) -> None:
        async with self.gate(), self.sessions() as session, session.begin():
            await inbox.done(session=session, request_id=request_id, at=self.clock.now())

    async def unfinished(self) -> list[InboxRequest]:
        """Requests whose process died before finishing them, taken over by this one."""
        async with self.sessions() as session, session.begin():
            return await inbox.unfinished(session=session, now=self.clock.now(),
                                          lease=timedelta(seconds=self.settings.inbox_lease))

    async def report_unreachable(self, message: OutboxMessage) -> None:
        """Tell the admins that a notification could not reach its recipient at all."""
        await self.run(Command(actor=Actor(identity="system:outbox"), action="unreachable", fields={
            "who": message.recipient, "template": message.template,
            "ref": str((message.payload.get("item") or {}).get("ref") or "")}))

    def deliver_soon(self) -> None:
        """Run the dispatcher now, in the background, instead of waiting for its next tick.

        Requests arriving together share one run (one queued behind the running one), not one run each.
        """
        if len(self.background) >= 2:
            return
        task = asyncio.ensure_future(self._deliver_after(list(self.background)))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _deliver_after(self, running: list[asyncio.Task[Any]]) -> None:
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        try:
            await self.dispatcher.run_once()
        except Exception:  # the scheduler's next tick retries; never crash a request over it
            log.exception("prompt outbox delivery failed")

    def add_deliverer(self, deliverer: Deliverer) -> None:
        self.dispatcher.deliverers.append(deliverer)

    async def close(self) -> None:
        """Let prompt deliveries under way finish (a few seconds at most), then close the database."""
        if self.background:
            _, pending = await asyncio.wait(set(self.background), timeout=5)
            for task in pending:  # what they had not sent stays in the outbox for the next process
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.engine.dispose()


def load_org_for(settings: Settings, *, demo: bool = False) -> Org:
    if settings.org_file:
        org = load_org(settings.org_file)
    elif demo:
        org = load_org(DEMO_ORG)
    else:
        org = Org()
    if not org.teams_tenant_ids and settings.microsoft_app_tenant_id:  # a single-tenant bot serves its tenant
        org = org.model_copy(update={"teams_tenant_ids": [settings.microsoft_app_tenant_id]})
    return org.with_admins(settings.admin_list)


def create_app(settings: Settings, *, clock: Clock | None = None, demo: bool = False,
               schema: str | None = None) -> App:
    clock = clock or SystemClock()
    engine = db.create_engine(settings.database_url, schema=schema or settings.database_schema)
    sessions = db.sessions(engine)
    gate = db.WriteGate.for_engine(engine)
    app = App(settings=settings, engine=engine, sessions=sessions, org=load_org_for(settings, demo=demo),
              clock=clock, renderer=Renderer("text"), gate=gate,
              dispatcher=Dispatcher(sessions=sessions, clock=clock, lease=timedelta(seconds=settings.outbox_lease),
                                    gate=gate))
    app.dispatcher.report_unreachable = app.report_unreachable
    if settings.slack_enabled:  # the outbox reaches Slack from every process, the CLI's too
        from bot.slack.delivery import SlackDelivery

        app.slack = SlackDelivery.create(app)
        app.add_deliverer(app.slack)
    if settings.teams_enabled:  # and Teams (botbuilder loads only when Teams is configured)
        from bot.teams.delivery import TeamsDelivery
        from bot.teams.door import TeamsDoor

        app.teams = TeamsDoor(app)
        app.add_deliverer(TeamsDelivery(app, app.teams))
    return app
