"""The one entrance every door uses: check the workspace, run the use case, turn refusals into replies."""
from __future__ import annotations

from handlers import access, actions, conversations
from handlers.base import Command, Context, Outcome, Refusal
from handlers.parse import help_lines
from storage import claims, people


async def help_(cmd: Command, ctx: Context) -> Outcome:
    return Outcome.reply("help", commands=[{"usage": u, "what": w} for u, w in help_lines()],
                         stages=ctx.org.journey_stages)


async def profile(cmd: Command, ctx: Context) -> Outcome:
    """A door learnt who someone is (name, email, time zone): remember it, and what was queued to their email
    goes to them."""
    person = await access.register(ctx, cmd.actor)
    if person.identity and person.email:
        await conversations.reachable(ctx, person.identity, person.email)
    return Outcome()


async def handle(cmd: Command, ctx: Context) -> Outcome:
    """Run one command inside the caller's transaction.

    A Refusal propagates, so that the caller rolls the whole transaction back (the delivery claim too: a
    refused request may be tried again) and answers with `refused(refusal)`.
    """
    action = actions.find(cmd.action)
    access.check_workspace(ctx, cmd.actor)
    if action is None:
        raise Refusal(f"I don't know how to {cmd.action[:30]!r}. Type 'help' to see what I can do.")
    if cmd.delivery and not await claims.first_time(session=ctx.session, key=cmd.delivery,
                                                         at=ctx.clock.now()):
        return Outcome(repeated=True)
    outcome = await action.run()(cmd, ctx)
    if outcome.replies and not cmd.actor.identity.startswith("system:"):  # the door needs no second read
        outcome.zone = await people.zone(session=ctx.session, who=cmd.actor.identity) or ctx.org.timezone
    return outcome


def refused(refusal: Refusal) -> Outcome:
    return Outcome.refused(refusal.message, **({"field": refusal.field} if refusal.field else {}))
