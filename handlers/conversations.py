"""Remembering where a platform lets the bot reach a person or channel later (proactive messages)."""
from __future__ import annotations

import json

from handlers import access, notify
from handlers.base import Command, Context, Notice, Outcome, Refusal
from storage import claims, conversations, departments, outbox, people


async def remember(cmd: Command, ctx: Context) -> Outcome:
    key = cmd.fields.get("key", "")
    if not key.startswith(("teams:", "teams-channel:")):
        raise Refusal("Unknown conversation kind.")
    try:
        reference = json.loads(cmd.fields.get("reference") or "{}")
    except json.JSONDecodeError:
        raise Refusal("Unreadable conversation reference.") from None
    if key.startswith("teams:") and not cmd.actor.identity.startswith("system:"):
        await access.register(ctx, cmd.actor)
    await conversations.remember(session=ctx.session, key=key, reference=reference, at=ctx.clock.now(),
                                 tenant_id=cmd.fields.get("tenant") or None,
                                 service_url=cmd.fields.get("service_url") or None,
                                 platform_user_id=cmd.fields.get("user_id") or None,
                                 personal=cmd.fields.get("personal") == "yes")
    return Outcome()


CHANNEL = ("slack-channel:", "teams-channel:")


async def unreachable(cmd: Command, ctx: Context) -> Outcome:
    """A door could not reach someone: tell the admins, so the item does not rot unseen. A channel the bot
    cannot post to: its message goes to the people the channel serves, and the admins hear once how to fix it."""
    who, ref = cmd.fields.get("who", ""), cmd.fields.get("ref", "")
    if who.startswith(CHANNEL):
        return await closed_channel(cmd, ctx, who)
    names = await people.names(session=ctx.session, whos=[who])
    admins = await people.identities(session=ctx.session, admins=True)
    notices = await notify.send(ctx, admins, "unreachable",
                                {"who": names.get(who, who), "handle": who, "ref": ref,
                                 "what": cmd.fields.get("template", "")})
    return Outcome(notices=notices)


async def closed_channel(cmd: Command, ctx: Context, channel: str) -> Outcome:
    failed = await outbox.get(session=ctx.session, message_id=int(cmd.fields.get("message") or 0))
    kind, _, ident = channel.partition(":")
    column = "slack_channel" if kind == "slack-channel" else "teams_channel"
    served = [d for d in await departments.all(session=ctx.session) if getattr(d, column) == ident]
    instead = [w for d in served for w in (d.named("owner") or d.named("rep"))]
    if getattr(ctx.org.digest, column) == ident:
        instead += await people.identities(session=ctx.session, leaders=True)
    notices: list[Notice] = []
    if failed is not None:  # the same message, to each of them
        notices += await notify.send(ctx, instead, failed.template, failed.payload)
    if await claims.first_time(session=ctx.session, key=f"channel-problem:{channel}", at=ctx.clock.now()):
        names = await people.names(session=ctx.session, whos=instead)
        admins = await people.identities(session=ctx.session, admins=True)
        notices += await notify.send(ctx, admins, "channel_unreachable", {
            "channel": ident, "platform": kind.split("-")[0], "error": cmd.fields.get("error", ""),
            "instead": [names.get(w, w) for w in dict.fromkeys(instead)],
            "departments": [d.name for d in served]})
    return Outcome(notices=notices)
