"""The one entrance every door uses: check the workspace, run the use case, turn refusals into replies."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers import (
    access,
    acknowledge,
    act,
    assign,
    comment,
    conversations,
    decline,
    departments,
    digest,
    duplicate,
    lists,
    log,
    me_too,
    nudge,
    reopen,
    resolve,
    show,
    snooze,
    stats,
)
from handlers.base import Command, Context, Outcome, Refusal
from handlers.parse import HELP
from storage import deliveries

Handler = Callable[[Command, Context], Awaitable[Outcome]]


async def help_(cmd: Command, ctx: Context) -> Outcome:
    return Outcome.reply("help", commands=[{"usage": u, "what": w} for u, w in HELP],
                         stages=ctx.org.journey_stages)


async def profile(cmd: Command, ctx: Context) -> Outcome:
    """A door learnt who someone is (name, email, time zone): remember it."""
    await access.person(ctx, cmd.actor)
    return Outcome()


HANDLERS: dict[str, Handler] = {
    "log": log.handle, "log_message": log.from_message, "ack": acknowledge.handle, "assign": assign.handle,
    "snooze": snooze.handle, "comment": comment.handle, "resolve": resolve.handle, "decline": decline.handle,
    "reopen": reopen.handle,
    "fixed": reopen.confirm, "duplicate": duplicate.handle, "metoo": me_too.handle, "show": show.handle,
    "mine": lists.mine, "home": lists.home, "form": lists.form, "queue": lists.queue, "overdue": lists.overdue,
    "stats": stats.handle, "departments": departments.listing, "dept": departments.handle, "help": help_,
    "check": act.check, "profile": profile, "remember": conversations.remember,
    "unreachable": conversations.unreachable,
    "nudge": nudge.handle, "digest": digest.preview, "digest_send": digest.send,
}


async def handle(cmd: Command, ctx: Context) -> Outcome:
    """Run one command inside the caller's transaction.

    A Refusal propagates, so that the caller rolls the whole transaction back (the delivery claim too: a
    refused request may be tried again) and answers with `refused(refusal)`.
    """
    handler = HANDLERS.get(cmd.action)
    access.check_workspace(ctx, cmd.actor)
    if handler is None:
        raise Refusal(f"I don't know how to {cmd.action[:30]!r}. Type 'help' to see what I can do.")
    if cmd.delivery and not await deliveries.first_time(session=ctx.session, key=cmd.delivery,
                                                         at=ctx.clock.now()):
        return Outcome(repeated=True)
    return await handler(cmd, ctx)


def refused(refusal: Refusal) -> Outcome:
    return Outcome.refused(refusal.message, **({"field": refusal.field} if refusal.field else {}))
