"""Buttons that carry what they do: "Me too on CX-12" and "Log mine anyway" under similar items (in a message or
in the log form, which comes back with them), and "Mark duplicate" on an owner's card."""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.slack.payloads import form_fields, values
from handlers import actions
from handlers.base import Actor, Command, Outcome

if TYPE_CHECKING:
    from bot.slack.door import SlackDoor

log = logging.getLogger(__name__)
LOG = actions.find("log") or actions.Action(id="log")
OLDER = "That button is from an older version of the bot. Type /cx help."


def carried(value: Any) -> dict[str, Any]:
    """What a button carries as JSON (its item and fields); {} for anything else."""
    try:
        found = json.loads(value) if isinstance(value, str) and value.startswith("{") else {}
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


async def pressed(door: SlackDoor, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                  respond: AsyncRespond) -> None:
    """A button that carries its fields: "Me too on CX-12" and "Log mine anyway" under similar items,
    "Mark duplicate" on an owner's card. What it answers takes the place of the message (or the form) it was
    pressed in: its buttons are spent."""
    actor = door.actor_of(body)
    name = action.get("action_id", "")[3:]
    preset = carried(action.get("value"))
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    fields = {k: str(v) for k, v in (preset.get("fields") or {}).items() if isinstance(v, str | int) and v}
    delivery = f"slack:action:{actor.identity}:{action.get('action_ts')}"
    if name == "suggested":  # "me too" on a similar item, with the customer of the form it sits in
        if view is not None and (customer := form_fields(LOG, values(view)).get("customer")):
            fields["customer"] = customer
        cmd = Command(actor=actor, action="metoo", ref=str(preset.get("ref") or ""), fields=fields,
                      delivery=delivery)
    elif name == "anyway" and preset.get("action") in ("log", "log_message"):
        cmd = Command(actor=actor, action=str(preset["action"]), fields={**fields, "anyway": "yes"},
                      delivery=delivery)
    elif (taken := actions.find(name)) is not None and taken.on_item and taken.complete(fields):
        cmd = Command(actor=actor, action=taken.id, ref=str(preset.get("ref") or ""), fields=fields,
                      delivery=delivery)
    else:
        cmd = None
    outcome = await door.run(cmd) if cmd else Outcome.refused(OLDER)
    await ack()
    if outcome.repeated or not outcome.replies:
        return
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if view is not None:  # the form gives way to what was done (or why not)
        blocks = (await door.message(outcome, actor.identity))["blocks"]
        try:
            await door.client.views_update(view_id=view["id"], view={
                "type": "modal", "title": {"type": "plain_text", "text": "Log a pain point"},
                "close": {"type": "plain_text", "text": "Done"}, "blocks": blocks})
        except Exception:  # the change is made (or refused): the person hears it in their DM instead
            log.warning("views.update failed after a button in the log form", exc_info=True)
            await door.confirm(outcome, actor.identity, None)
    elif container.get("is_ephemeral") or not outcome.ok or preset.get("beside"):  # beside: about another item
        await door.respond(respond, outcome, actor.identity, channel,
                           replace_original=outcome.ok and not preset.get("beside"))
    elif not (channel and ts and await door.update(str(channel), str(ts), outcome, actor.identity, container)):
        await door.respond(respond, outcome, actor.identity, channel, replace_original=False)


async def again(door: SlackDoor, actor: Actor, fields: dict[str, str], outcome: Outcome, meta: dict[str, Any]
                ) -> dict[str, Any]:
    """The log form as it was submitted, with the similar items on top and "Log mine anyway" to submit it."""
    form = await door.run(Command(actor=actor, action="form"))
    similar = outcome.replies[0].data
    return door.renderer.render("log_form", {
        **form.replies[0].data, "prefill": fields, "suggestions": similar["suggestions"],
        "meta": {**meta, "anyway": "1", **({"source": fields["source"]} if fields.get("source") else {})}})
