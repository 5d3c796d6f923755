"""The Teams door: Bot Framework activities become neutral Commands; Outcomes become Adaptive Cards.

Which card buttons act, and which inputs a card form has, comes from the catalogue of actions: an input's id is
"<action id>_<field name>".
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleTaskInfo,
)

from bot.teams.reach import Reach, identity_of, is_personal, tenant_of
from bot.zones import zone_of
from handlers import actions
from handlers.actions import Action
from handlers.base import Actor, Command, Outcome, Refusal
from handlers.parse import parse
from messages.render import TeamsRenderer

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
TAGS = re.compile(r"<[^>]+>")
LOG = actions.find("log") or Action(id="log")
# what a card keeps where many read it (a channel, a group chat): the rest is for owners and raisers, in their chats
SHARED = frozenset({"show", *(a.id for a in actions.CATALOGUE if a.who == "anyone" and a.on_item)})


def card_fields(action: Action, value: dict[str, Any]) -> dict[str, str]:
    """The command's fields from a submitted card: each input's id is "<action id>_<field name>". A department
    or person field is two inputs: the department chosen, or the person picked (their Entra object id)."""
    found = {f.name: value.get(f"{action.id}_{f.name}") for f in action.fields}
    for f in action.fields:
        person = value.get(f"{action.id}_{f.name}_person")
        if f.kind == "target" and isinstance(person, str) and person.strip():
            found[f.name] = f"teams:{person.strip()}"
    return {name: str(v) for name, v in found.items() if isinstance(v, str | int) and str(v).strip()}


def submitted(action: Action, value: dict[str, Any]) -> dict[str, str]:
    """What a form shows again after a refusal: what the person had typed."""
    return {f.name: str(value.get(f"{action.id}_{f.name}") or "") for f in action.fields}


def html_to_text(content: str) -> str:
    """A Teams message body (HTML) as plain text, for prefilling the form."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", content or "")
    return html.unescape(TAGS.sub("", text)).strip()


def similar(outcome: Outcome, form: str) -> bool:
    """Similar items were shown instead of logging: their "Log mine anyway" logs once per form, however many
    clicks (`form`: the id of the form or message that asked)."""
    if not (outcome.ok and outcome.replies and outcome.replies[0].template == "similar"):
        return False
    outcome.replies[0].data["form_id"] = form
    return True


class TeamsDoor(TeamsActivityHandler):
    def __init__(self, app: App, adapter: CloudAdapter, renderer: TeamsRenderer) -> None:
        super().__init__()
        self.app, self.adapter, self.renderer = app, adapter, renderer
        self.app_id = app.settings.microsoft_app_id or ""
        self.adapter.on_turn_error = self.on_error
        self.reach = Reach(app)
        self.choices: tuple[float, list[dict[str, str]]] | None = None  # (when read, departments)

    # -- the HTTP route -------------------------------------------------------------------------------
    async def on_error(self, context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed (%s) on a %s activity", type(error).__name__, context.activity.type,
                  exc_info=error)

    # -- who is asking, and where they can be reached later ---------------------------------------------
    def actor(self, context: TurnContext) -> Actor:
        sender = context.activity.from_property or ChannelAccount()
        ident = identity_of(sender) or "unknown"
        return Actor(identity=f"teams:{ident}", display_name=None if ident in self.reach.known else sender.name,
                     workspace=tenant_of(context.activity))

    # -- turning activities into commands --------------------------------------------------------------
    async def run(self, command: Command) -> Outcome:
        return await self.app.run(command, deliver=True)

    async def on_turn(self, turn_context: TurnContext) -> None:
        if turn_context.activity.type in (ActivityTypes.message, ActivityTypes.conversation_update,
                                          ActivityTypes.installation_update, ActivityTypes.invoke):
            await self.reach.remember(turn_context)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await self.reach.zone(turn_context)  # before the answer, whose times it sets
        actor = self.actor(turn_context)
        delivery = f"teams:activity:{activity.id}" if activity.id else None
        if isinstance(activity.value, dict) and activity.value.get("cx"):
            await self.on_card_submit(turn_context, actor, activity.value, delivery)
        else:
            text = TurnContext.remove_recipient_mention(activity) if activity.entities else (activity.text or "")
            text = html_to_text(text or "")
            if text.strip().lower() in ("log", "new"):
                await self.send_form(turn_context, actor, {})
            else:
                try:
                    parsed = parse(text)
                except Refusal as refusal:
                    await self.reply(turn_context, Outcome.refused(refusal.message), actor)
                    return
                outcome = await self.run(Command(actor=actor, action=parsed.action, ref=parsed.ref,
                                                 fields=parsed.fields, delivery=delivery))
                if similar(outcome, activity.id or "") and not is_personal(activity):  # theirs alone to answer
                    if await self.later(outcome, actor):  # and the channel hears where it went
                        await self.reply(turn_context, Outcome.reply("similar_sent"), actor)
                elif not outcome.repeated:
                    await self.reply(turn_context, outcome, actor)
        await self.reach.learn(turn_context)

    async def on_card_submit(self, context: TurnContext, actor: Actor, value: dict[str, Any],
                             delivery: str | None) -> None:
        taken = actions.find(str(value.get("cx")))
        fields = card_fields(taken, value) if taken else {}
        # a button that carries its fields: "Me too on CX-12" under similar items, "Mark duplicate" on an owner's card
        carried = taken is not None and taken.id in ("metoo", "duplicate") and taken.complete(fields)
        if taken is None or not (taken is LOG or carried or taken.on_item and (taken.label or taken.raiser_label)):
            await self.reply(context, Outcome.refused("That card is from an older version of the bot. Type help."),
                             actor)
            return
        picked = [v.removeprefix("teams:") for f in taken.fields if f.kind == "target"
                  and value.get(f"{taken.id}_{f.name}_person") and (v := fields.get(f.name, ""))]
        for aad in picked:  # named on the card by name, not by id
            await self.reach.introduce(context, aad)
        if taken is LOG and value.get("source"):
            fields["source"] = str(value["source"])
        if taken is LOG and value.get("anyway"):  # shown similar items, the person logs theirs all the same
            fields["anyway"] = "yes"
        if taken is LOG and value.get("form"):  # one item per form, however many clicks
            delivery = f"teams:form:{value['form']}" + (":anyway" if value.get("anyway") else "")
        outcome = await self.run(Command(actor=actor, action=taken.id, ref=str(value.get("ref") or "") or None,
                                         fields=fields, delivery=delivery))
        if outcome.repeated:
            return
        card_id = context.activity.reply_to_id
        similar(outcome, str(value.get("form") or context.activity.id or ""))
        if carried and outcome.ok and card_id and not value.get("many"):  # the card it sat on gives way
            await self.replace(context, card_id, outcome, actor)
            return
        if taken is LOG:
            if not outcome.ok:  # show the form again, with the error beside its field
                problem = outcome.replies[0].data
                prefill = {**submitted(LOG, value), "source": str(value.get("source") or "")}
                await self.send_form(context, actor, prefill, {problem.get("field") or "summary": problem["message"]},
                                     replace=card_id)
                return
            if card_id:  # the form becomes the confirmation
                await self.replace(context, card_id, outcome, actor)
            else:
                await self.reply(context, outcome, actor)
            return
        if outcome.ok and outcome.replies[0].template == "updated" and card_id and not value.get("many"):
            await self.replace(context, card_id, outcome, actor)  # the card shows its new state in place
            return
        if outcome.ok and card_id and isinstance(value.get("rows"), list):  # a nudge: that row changes, in place
            shown = await self.run(Command(actor=actor, action="nudge_rows",
                                           fields={"refs": json.dumps([str(r) for r in value["rows"]])}))
            if shown.ok:
                await self.replace(context, card_id, shown, actor)
                return
        await self.reply(context, outcome, actor)

    async def send_form(self, context: TurnContext, actor: Actor, prefill: dict[str, str],
                        errors: dict[str, str] | None = None, replace: str | None = None) -> None:
        outcome = await self.run(Command(actor=actor, action="form"))
        if not outcome.ok:
            await self.reply(context, outcome, actor)
            return
        # the form's own id (the activity that asked for it): every click on "Log it" is a new activity, and the
        # form logs once however often it is submitted
        shown = context.activity.value if errors and isinstance(context.activity.value, dict) else {}
        form_id = str(shown.get("form") or context.activity.id or "")
        card = self.renderer.card("log_form", {**outcome.replies[0].data, "prefill": prefill, "errors": errors or {},
                                               "form_id": form_id})
        message = MessageFactory.attachment(CardFactory.adaptive_card(card))
        if replace:
            message.id = replace
            await context.update_activity(message)
        else:
            await context.send_activity(message)

    async def departments(self) -> list[dict[str, str]]:
        """The departments a reassign form offers, read at most once a minute per process."""
        now = asyncio.get_running_loop().time()
        if self.choices is None or now - self.choices[0] > 60:
            outcome = await self.app.run(Command(actor=Actor(identity="system:teams"), action="departments_known"))
            self.choices = (now, outcome.replies[0].data["departments"] if outcome.ok else [])
        return self.choices[1]

    async def card(self, template: str, data: dict[str, Any], tz: str | None, shared: bool) -> dict[str, Any]:
        return self.renderer.card(template, data, tz=tz, shared=SHARED if shared else None,
                                  departments=await self.departments())

    async def zone(self, outcome: Outcome, actor: Actor) -> str:
        return outcome.zone or await zone_of(self.app.db, self.app.org, actor.identity)

    async def activity(self, template: str, data: dict[str, Any], tz: str | None, shared: bool) -> Activity:
        """A card as a message, with its notification preview: replies and proactive messages alike."""
        message = MessageFactory.attachment(CardFactory.adaptive_card(await self.card(template, data, tz, shared)))
        message.summary = self.renderer.summary(template, data, tz=tz)
        return message

    async def message(self, outcome: Outcome, actor: Actor, shared: bool = False) -> Activity:
        reply = outcome.replies[0]
        return await self.activity(reply.template, reply.data, await self.zone(outcome, actor), shared)

    async def reply(self, context: TurnContext, outcome: Outcome, actor: Actor) -> None:
        if not outcome.replies:
            return
        shared = not is_personal(context.activity)
        if shared and not outcome.ok and context.activity.value:  # a click refused: told to that person alone
            await self.later(outcome, actor)
            return
        message = await self.message(outcome, actor, shared)
        try:
            await context.send_activity(message)
        except Exception as error:  # noqa: BLE001 - whatever went wrong, the reply is not lost
            await self.later(outcome, actor, error)

    async def replace(self, context: TurnContext, card_id: str, outcome: Outcome, actor: Actor) -> None:
        message = await self.message(outcome, actor, not is_personal(context.activity))
        message.id = card_id
        try:
            await context.update_activity(message)
        except Exception as error:  # noqa: BLE001 - the card stays as it was; the answer comes as a message
            await self.later(outcome, actor, error)

    async def later(self, outcome: Outcome, actor: Actor, error: Exception | None = None) -> bool:
        """The answer goes to the person's own chat through the outbox, retried: Teams did not take it during
        the request (`error`), or it must not show where it was asked."""
        reply = outcome.replies[0]
        if error is not None:
            log.warning("a Teams reply failed (%s); it goes through the outbox instead", type(error).__name__)
        queued = await self.app.run(Command(actor=actor, action="deliver", fields={
            "template": reply.template, "payload": json.dumps(reply.data, default=str)}), deliver=True)
        if not queued.ok:
            log.error("a Teams reply to %s was lost", actor.identity, exc_info=error)
        return queued.ok

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        recipient = turn_context.activity.recipient
        bot = recipient.id if recipient else None
        if any(m.id == bot for m in members_added):  # the bot joined: greet, and learn who is here
            outcome = await self.run(Command(actor=self.actor(turn_context), action="help"))
            await self.reply(turn_context, outcome, self.actor(turn_context))
            await self.reach.roster(turn_context)
        else:
            await self.reach.roster(turn_context, [m for m in members_added if m.id != bot])

    async def on_members_removed_activity(self, members_removed: list[ChannelAccount],
                                          turn_context: TurnContext) -> None:
        recipient = turn_context.activity.recipient
        if any(m.id == (recipient.id if recipient else None) for m in members_removed):
            await self.reach.forget(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self.reach.roster(turn_context)  # the reference itself is remembered in on_turn

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self.reach.forget(turn_context)

    # -- the message extension: "Log as customer pain point" on any message -----------------------------
    async def on_teams_messaging_extension_fetch_task(self, turn_context: TurnContext,
                                                      action: MessagingExtensionAction
                                                      ) -> MessagingExtensionActionResponse:
        actor = self.actor(turn_context)
        payload = action.message_payload
        text = html_to_text(payload.body.content if payload and payload.body else "")
        source = (payload.link_to_message or "") if payload else ""
        outcome = await self.run(Command(actor=actor, action="form", fields={"text": text, "source": source}))
        if not outcome.ok:
            card = self.renderer.card(outcome.replies[0].template, outcome.replies[0].data)
        else:
            card = self.renderer.card("log_form", {**outcome.replies[0].data, "errors": {}})
        return self.task(card)

    async def on_teams_messaging_extension_submit_action(self, turn_context: TurnContext,
                                                         action: MessagingExtensionAction
                                                         ) -> MessagingExtensionActionResponse:
        actor = self.actor(turn_context)
        data = action.data if isinstance(action.data, dict) else {}
        delivery = f"teams:activity:{turn_context.activity.id}"
        if data.get("cx") == "metoo":  # "Me too on CX-12" on the similar items the dialog showed
            outcome = await self.run(Command(actor=actor, action="metoo", ref=str(data.get("ref") or ""),
                                             fields=card_fields(actions.find("metoo") or LOG, data), delivery=delivery))
            return await self.closing(outcome, actor)
        fields = card_fields(LOG, data)
        if data.get("source"):
            fields["source"] = str(data["source"])
        if data.get("anyway"):
            fields["anyway"] = "yes"
        outcome = await self.run(Command(actor=actor, action="log", fields=fields, delivery=delivery))
        if similar(outcome, ""):  # the dialog shows them, with "Me too" and "Log mine anyway"
            reply = outcome.replies[0]
            return self.task(self.renderer.card(reply.template, reply.data, tz=await self.zone(outcome, actor)))
        if outcome.repeated:  # Teams asked again (it retries an invoke it waited 5 s for): the dialog closes
            return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(
                value="Logged already: the details are in your chat with the bot."))
        if not outcome.ok:
            problem = outcome.replies[0].data
            form = await self.run(Command(actor=actor, action="form"))
            prefill = {**submitted(LOG, data), "source": str(data.get("source") or "")}
            card = self.renderer.card("log_form", {**form.replies[0].data, "prefill": prefill,
                                                   "errors": {problem.get("field") or "summary": problem["message"]}})
            return self.task(card)
        return await self.closing(outcome, actor)

    async def closing(self, outcome: Outcome, actor: Actor) -> MessagingExtensionActionResponse:
        """The dialog closes saying what was done; the confirmation, with its buttons, goes to the person's own
        chat with the bot (never into the channel the message was in, where the bot may not even be)."""
        if outcome.repeated or not outcome.replies:
            return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(
                value="Done already: the details are in your chat with the bot."))
        reply = outcome.replies[0]
        told = await self.later(outcome, actor)
        said = self.renderer.summary(reply.template, reply.data, tz=await self.zone(outcome, actor))
        where = " I've sent you the details in our chat." if told else ""
        return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=f"{said}{where}"[:300]))

    def task(self, card: dict[str, Any]) -> MessagingExtensionActionResponse:
        return MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=TaskModuleTaskInfo(
            title="Log a customer pain point", card=CardFactory.adaptive_card(card), height="large", width="medium")))
