"""Remembering where a platform lets the bot reach a person or channel later (proactive messages)."""
from __future__ import annotations

import json

from handlers import access, notify
from handlers.base import Command, Context, Outcome, Refusal
from storage import conversations, people


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


async def unreachable(cmd: Command, ctx: Context) -> Outcome:
    """A door could not reach someone: tell the admins, so the item does not rot unseen."""
    who, ref = cmd.fields.get("who", ""), cmd.fields.get("ref", "")
    names = await people.names(session=ctx.session, whos=[who])
    admins = await people.identities(session=ctx.session, admins=True)
    notices = await notify.send(ctx, admins, "unreachable",
                                {"who": names.get(who, who), "handle": who, "ref": ref,
                                 "what": cmd.fields.get("template", "")})
    return Outcome(notices=notices)
