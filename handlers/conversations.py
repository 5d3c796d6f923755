"""Remembering where a platform lets the bot reach a person or channel later (proactive messages)."""
from __future__ import annotations

import json
from typing import Any

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
    person = None
    if key.startswith("teams:"):  # the person who wrote, or (a door opened a chat) someone the ledger knows
        person = await (people.get(session=ctx.session, who=key) if cmd.actor.identity.startswith("system:")
                        else access.register(ctx, cmd.actor))
    await keep(ctx, cmd, key, reference, user_id=cmd.fields.get("user_id") or None,
               personal=cmd.fields.get("personal") == "yes", email=person.email if person else None)
    return Outcome()


async def keep(ctx: Context, cmd: Command, key: str, reference: dict[str, Any], *, user_id: str | None,
               personal: bool, email: str | None) -> None:
    """Keep a reference (its tenant, service URL and team from the command); a person reachable through it has
    what waited for them sent now."""
    await conversations.remember(session=ctx.session, key=key, reference=reference, at=ctx.clock.now(),
                                 tenant_id=cmd.fields.get("tenant") or None,
                                 service_url=cmd.fields.get("service_url") or None, platform_user_id=user_id,
                                 personal=personal, team_id=cmd.fields.get("team") or None)
    if key.startswith("teams:"):
        await reachable(ctx, key, email)


ROSTER_LIMIT = 500  # members per roster command (a door sends a big team's roster in several)


async def roster(cmd: Command, ctx: Context) -> Outcome:
    """A door read the members of a team or chat the bot is in: each becomes a person the bot knows (by their
    email too, so that org-file people named by email are matched), reachable through a 1:1 chat the bot may
    open, and what waited for them goes to them now."""
    try:
        members = json.loads(cmd.fields.get("members") or "[]")
        reference = json.loads(cmd.fields.get("reference") or "{}")
    except json.JSONDecodeError:
        raise Refusal("Unreadable roster.") from None
    if not isinstance(members, list) or len(members) > ROSTER_LIMIT or not isinstance(reference, dict):
        raise Refusal("Unreadable roster.")
    for member in members:
        aad, user_id = str(member.get("aad") or ""), str(member.get("user_id") or "")
        if not aad or not user_id:
            continue
        key = f"teams:{aad}"
        person = await people.ensure(session=ctx.session, identity=key, email=str(member.get("email") or "") or None,
                                     display_name=str(member.get("name") or "") or None)
        await keep(ctx, cmd, key, reference, user_id=user_id, personal=False, email=person.email)
    return Outcome()


async def forget(cmd: Command, ctx: Context) -> Outcome:
    """The bot was removed from a conversation or team, or uninstalled by a person, or a platform refused a
    message to someone (403): the references that reached them through it go. What is sent to them next waits
    for a new way to reach them, and the admins hear then."""
    keys = tuple(k for k in (cmd.fields.get("key"),) if k)
    await conversations.forget(session=ctx.session, keys=keys, conversation_id=cmd.fields.get("conversation") or None,
                               team_id=cmd.fields.get("team") or None)
    return Outcome()


async def deliver(cmd: Command, ctx: Context) -> Outcome:
    """An answer that goes to the person through the outbox (into their own chat with the bot), retried until
    it is delivered: a reply the platform did not take during the request, or one that must not show where the
    request was made (a channel others read)."""
    try:
        payload = json.loads(cmd.fields.get("payload") or "{}")
    except json.JSONDecodeError:
        raise Refusal("Unreadable reply.") from None
    template = cmd.fields.get("template") or ""
    if not template or not isinstance(payload, dict):
        raise Refusal("Unreadable reply.")
    await outbox.enqueue(session=ctx.session, recipient=cmd.actor.identity, template=template, payload=payload,
                         at=ctx.clock.now())
    return Outcome(notices=[Notice(cmd.actor.identity, template, payload)])


CHANNEL = ("slack-channel:", "teams-channel:")


REPORTS = ("unreachable", "channel_unreachable")  # never a report about a report


async def unreachable(cmd: Command, ctx: Context) -> Outcome:
    """A door could not reach someone. The message waits for a way to reach them (delivered when they
    appear: `reachable`), and the admins hear once per person, while anything waits for them, so the item does
    not rot unseen. A channel the bot cannot post to: its message goes to the people the channel serves, and the
    admins hear once how to fix it."""
    who, ref = cmd.fields.get("who", ""), cmd.fields.get("ref", "")
    message_id, error = int(cmd.fields.get("message") or 0), cmd.fields.get("error", "")
    if who.startswith(CHANNEL):
        await outbox.failed(session=ctx.session, message_id=message_id, error=error)
        return await closed_channel(cmd, ctx, who)
    if who.startswith("email:"):  # learnt since it was queued (a roster, a first message)
        found = await notify.identity(ctx, who.removeprefix("email:"))
        if not people.is_email(found):
            await outbox.readdress(session=ctx.session, recipients=[who], to=found, at=ctx.clock.now())
            return Outcome()
    waiting = await outbox.wait(session=ctx.session, message_id=message_id, error=error)
    if waiting != 1 or cmd.fields.get("template") in REPORTS:
        return Outcome()  # the admins heard when the first message began to wait for this person
    handle = who.removeprefix("email:")
    names = await people.names(session=ctx.session, whos=[handle])
    admins = await people.identities(session=ctx.session, admins=True)
    notices = await notify.send(ctx, admins, "unreachable",
                                {"who": names.get(handle, who), "handle": who, "ref": ref,
                                 "what": cmd.fields.get("template", ""), "why": error})
    return Outcome(notices=notices)


async def reachable(ctx: Context, identity: str, email: str | None) -> int:
    """Someone can be reached now (a new conversation, an email matched to an identity): what waited for them,
    or was queued to their email, goes to them now. Returns how many messages."""
    waiting = [identity] + ([f"email:{email.lower()}"] if email else [])
    return await outbox.readdress(session=ctx.session, recipients=waiting, to=identity, at=ctx.clock.now())


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
