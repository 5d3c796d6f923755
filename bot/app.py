"""The composition root: `create_app` builds every part from the settings and hands each what it needs.

    settings, org, clock      what this deployment is, and what time it is
    db                        the ledger (storage.db.Database): the one way to open a transaction
    renderer                  text for the console and the CLI (each platform has its own)
    answers                   answers first: background work gives way to requests owed an answer
    inbox                     requests written down before they are answered, worked on after
    outbox                    notifications, sent by whichever platform reaches each person
    slack, teams              the platforms that are configured (each built by its package's `enable`)

`run` is how every door and the scheduler hand a Command to the handlers: one transaction per command.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DataError, IntegrityError

from bot.answers import Answers
from bot.dashboard import Keys
from bot.inbox import Inbox
from bot.outbox import Outbox
from bot.settings import Settings
from handlers import dispatch, org_file
from handlers.base import Actor, Command, Context, Outcome, Refusal
from handlers.clock import Clock, SystemClock
from handlers.org import Org, load_org
from messages.render import Renderer
from storage import inbox
from storage.db import UNAVAILABLE, Database
from storage.models import OutboxMessage

if TYPE_CHECKING:
    from bot.slack import Slack
    from bot.teams import Teams

log = logging.getLogger(__name__)
DATA_ERRORS = (DataError, IntegrityError)  # subclasses of DBAPIError, which otherwise reads as "unavailable"
DEMO_ORG = Path(__file__).parent / "demo.toml"
UNREACHABLE = ("I couldn't reach the pain-point ledger just now, so nothing was saved. "
               "Please try again in a minute.")


@dataclass(kw_only=True)
class App:
    settings: Settings
    org: Org
    clock: Clock
    db: Database
    renderer: Renderer
    answers: Answers
    inbox: Inbox
    outbox: Outbox
    slack: Slack | None = None
    teams: Teams | None = None
    links: Keys | None = None  # the dashboard's address and keys (None: this process makes no links to it)
    org_from_file: bool = False  # an org file (or the demo's) was given: it is the source of truth for roles
    # doors kick the outbox after a change instead of waiting for its next tick (tests turn this off)
    prompt_delivery: bool = True

    async def prepare(self, *, write: bool = True) -> None:
        """Migrate the schema and apply the org file (both idempotent; replicas take turns). The org file is
        the source of truth when one is given; with none, the ledger keeps its roles. A command that only
        reads passes `write=False`: nothing is migrated or applied, the schema is only checked."""
        await self.db.prepare(lambda session: org_file.apply(session=session, org=self.org,
                                                             from_file=self.org_from_file), write=write)
        if write and self.links is not None:
            await self.links.ready(self.db)

    async def run(self, cmd: Command, *, deliver: bool = False) -> Outcome:
        """Handle one command in one transaction: its state change and its notifications commit together.
        `deliver`: send what it queued now, rather than at the outbox's next tick (doors ask for it)."""
        try:
            return await self.work(cmd, deliver=deliver)
        except UNAVAILABLE:
            log.exception("database unavailable while handling %s for %s", cmd.action, cmd.actor.identity)
            return Outcome.refused(UNREACHABLE)

    async def work(self, cmd: Command, *, finishes: int | None = None, deliver: bool = False) -> Outcome:
        """Like run, for a request written down in the inbox: `finishes` is its id, marked done in the same
        transaction. A database failure is raised, not answered: the request stays for recovery."""
        try:
            async with self.db.transaction() as session:
                outcome = await dispatch.handle(cmd, Context(session=session, clock=self.clock, org=self.org,
                                                                 links=self.links))
                if finishes is not None:
                    await inbox.done(session=session, request_id=finishes, at=self.clock.now())
        except Refusal as refusal:  # raised through the transaction, which rolled back: nothing changed
            if finishes is not None:
                await self.inbox.finished(finishes)
            return dispatch.refused(refusal)
        except DATA_ERRORS as error:  # the database refused a value (too long, a conflict): no outage, no retry
            log.warning("%s for %s refused by the database: %s", cmd.action, cmd.actor.identity[:200],
                        type(getattr(error, "orig", error)).__name__)
            if finishes is not None:
                await self.inbox.finished(finishes)
            return dispatch.refused(Refusal("I couldn't save that: something in it is too long or not allowed. "
                                            "Nothing changed; please shorten it and try again."))
        if deliver and outcome.notices and self.prompt_delivery:
            self.outbox.soon()
        return outcome

    async def close(self) -> None:
        """Stop the inbox's workers, let sends under way finish, then close the database."""
        if self.slack is not None:
            await self.slack.close()
        await self.inbox.close()
        await self.outbox.close()
        if self.teams is not None:
            await self.teams.close()
        await self.db.close()


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
    db = Database(settings.database_url, schema=schema or settings.database_schema, timeout=settings.database_timeout)
    answers = Answers()

    async def report_unreachable(message: OutboxMessage) -> None:
        """Tell the admins that a notification could not reach its recipient at all."""
        await app.run(Command(actor=Actor(identity="system:outbox"), action="unreachable", fields={
            "who": message.recipient, "template": message.template, "message": str(message.id),
            "error": message.last_error or "", "ref": str((message.payload.get("item") or {}).get("ref") or "")}))

    app = App(settings=settings, org=load_org_for(settings, demo=demo), org_from_file=bool(settings.org_file or demo),
              clock=clock, db=db,
              renderer=Renderer("text"), answers=answers,
              inbox=Inbox(db, clock, answers, lease=timedelta(seconds=settings.inbox_lease)),
              outbox=Outbox(db=db, clock=clock, report_unreachable=report_unreachable,
                                    yield_to=answers.after, lease=timedelta(seconds=settings.outbox_lease),
                                    concurrency=settings.outbox_concurrency),
              links=Keys(settings))
    if settings.slack_enabled:  # the outbox reaches Slack from every process, the CLI's too
        from bot import slack

        app.slack = slack.enable(app)
    if settings.teams_enabled:  # and Teams (botbuilder loads only when Teams is configured)
        from bot import teams

        app.teams = teams.enable(app)
    return app
