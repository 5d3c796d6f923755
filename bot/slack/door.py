"""Bolt listeners: each Slack payload becomes a neutral Command; each Outcome becomes Block Kit.

Every listener acknowledges first (Slack waits 3 s), except form submissions, whose validation errors must
travel back in the acknowledgement itself. Deliveries carry their Slack identity (trigger id, action ts,
view id, event id), claimed in the database, so retries and double submissions act once. Which buttons open
a form, and which fields a form has, comes from the catalogue of actions.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.client import SameToken, authorize_with
from bot.slack.gate import guarded, refused
from bot.slack.payloads import block_of, form_fields, readable, values
from bot.slack.presets import OLDER, again, pressed
from bot.slack.sender import failure
from bot.zones import zone_of
from handlers import actions
from handlers.base import Actor, Command, Outcome
from messages.render import SlackRenderer
from storage import people
from storage.db import UNAVAILABLE

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
log.addFilter(SameToken())


def not_opened(error: Exception, typed: str) -> Outcome:
    """A form Slack would not open: what happened, and the typed way that needs no form."""
    return Outcome.refused(f"I couldn't open the form ({failure(error).reason}). Try again in a moment, or type "
                           f"it: /cx {typed}")


def event_team(body: dict[str, Any]) -> str | None:
    """An event's person's own team: the event says it in a shared channel (user_team), else the envelope.
    (`body` is the event's envelope, or the payload written down from it: both carry "event" and "team_id".)"""
    return (body.get("event") or {}).get("user_team") or body.get("team_id")


class SlackDoor:
    def __init__(self, app: App, client: AsyncWebClient, renderer: SlackRenderer) -> None:
        settings = app.settings
        assert settings.slack_bot_token
        self.app, self.client, self.renderer = app, client, renderer
        self.signed = settings.slack_signing_secret is not None  # HTTP requests can be checked
        self.before_response = settings.slack_process_before_response
        self.known: set[str] = set()  # users whose profile this process has already fetched
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        # with Socket Mode alone there is no signing secret: nothing comes over HTTP (/slack/events is not served)
        self.verifier = SignatureVerifier(secret) if secret else None
        self.bolt = AsyncApp(signing_secret=secret, client=client, request_verification_enabled=self.signed,
                             logger=log, process_before_response=self.before_response,
                             authorize=authorize_with(client))
        self.bolt.action(re.compile(r"^cx_"))(guarded(self.on_action))
        self.bolt.view_submission(re.compile(r"^cx_.*_form$"))(guarded(self.on_submit))
        self.bolt.shortcut("cx_log")(guarded(self.on_global_shortcut))
        self.bolt.shortcut("cx_log_message")(guarded(self.on_message_shortcut))
        self.bolt.event("app_home_opened")(guarded(self.on_home))
        self.bolt.error(self.on_error)

    # -- the HTTP route -------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        if (early := await refused(request, self.verifier)) is not None:
            return early
        try:
            with self.app.answers.owed():
                answer = await self.bolt.async_dispatch(await to_bolt_request(request))
        except Exception:  # Bolt itself trips over some malformed (signed) payloads
            log.warning("Bolt could not read a Slack request", exc_info=True)
            return web.json_response({"error": "unreadable request"}, status=400)
        if answer.status >= 500:  # Bolt's own error path (already logged by on_error): the payload was unusable
            return web.json_response({"error": "unreadable request"}, status=400)
        response = await to_aiohttp_response(answer)
        if request.headers.get("X-Slack-Retry-Num"):
            response.headers["X-Slack-No-Retry"] = "1"  # we have it; the database dedupes what it carried
        return response

    # -- who asks, and what they see --------------------------------------------------------------------
    def actor(self, user_id: str, team_id: str | None, name: str | None = None,
              enterprise: str | None = None) -> Actor:
        """`team_id` is the person's own team (in a Slack Connect channel the envelope's may be the other
        side's). The payload's user name is a stand-in until users.info has told us their real name."""
        return Actor(identity=f"slack:{user_id}", display_name=None if user_id in self.known else name,
                     workspace=team_id, enterprise=enterprise)

    def actor_of(self, body: dict[str, Any]) -> Actor:
        """The person behind an interactive payload (button, form, shortcut): their own team first."""
        user = body.get("user") or {}
        team = user.get("team_id") or (body.get("team") or {}).get("id")
        enterprise = (body.get("enterprise") or {}).get("id") if isinstance(body.get("enterprise"), dict) else None
        return self.actor(user.get("id", ""), team, user.get("name") or user.get("username"), enterprise)

    async def learn(self, user_id: str, team_id: str | None) -> None:
        """users.info once per person per process: their real name, email and time zone, for nudges."""
        if not user_id or user_id in self.known:
            return
        self.known.add(user_id)
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except Exception:  # a profile we could not read is not worth failing a request for
            log.warning("users.info failed for %s", user_id, exc_info=True)
            self.known.discard(user_id)
            return
        profile = user.get("profile") or {}
        await self.app.run(Command(actor=Actor(
            identity=f"slack:{user_id}", workspace=team_id or user.get("team_id"), timezone=user.get("tz"),
            email=profile.get("email"),
            display_name=profile.get("display_name") or profile.get("real_name") or user.get("real_name")),
            action="profile"))

    async def learn_people(self) -> None:
        """At start: ask Slack the names (and zones and emails) of the people the ledger knows only by their id,
        the org file's among them, so that messages name them."""
        async with self.app.db.transaction() as session:
            unnamed = await people.unnamed(session=session, prefix="slack:")
        for identity in unnamed:
            await self.learn(identity.split(":", 1)[1], None)

    async def message(self, outcome: Outcome, identity: str) -> dict[str, Any]:
        reply = outcome.replies[0]
        return self.renderer.message(reply.template, reply.data,
                                     tz=outcome.zone or await zone_of(self.app.db, self.app.org, identity))

    async def run(self, cmd: Command) -> Outcome:
        return await self.app.run(cmd, deliver=True)

    async def open_log_form(self, trigger_id: str, actor: Actor, meta: dict[str, str],
                            message: dict[str, str] | None = None) -> Outcome:
        outcome = await self.run(Command(actor=actor, action="form", fields=message or {}))
        if outcome.ok:
            data = {**outcome.replies[0].data, "meta": meta}
            try:
                await self.client.views_open(trigger_id=trigger_id, view=self.renderer.render("log_form", data))
            except Exception as error:  # the person hears it, with the way that needs no form
                log.warning("views.open failed for the log form", exc_info=True)
                return not_opened(error, "log <what the customer hit>")
        return outcome

    async def finish(self, request_id: int, cmd: Command) -> Outcome | None:
        """Run a written-down request's command and mark it done, together; None with the database away
        (it stays written down, for recovery)."""
        try:
            return await self.app.work(cmd, finishes=request_id, deliver=True)
        except UNAVAILABLE:
            log.warning("database unavailable: request %s (%s) left for recovery", request_id, cmd.action,
                        exc_info=True)
            return None

    # -- buttons and forms ------------------------------------------------------------------------------
    async def on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        respond: AsyncRespond) -> None:
        name, ref = action.get("action_id", "")[3:], str(action.get("value") or "")
        if name in ("suggested", "anyway") or ref.startswith("{"):  # a button that carries what it does
            await pressed(self, ack, body, action, respond)
        elif name == "link":  # a button that opens a page (the dashboard's sign-in): Slack asks for an ack only
            await ack()
        else:
            await self.act(ack, body, action, respond)

    async def act(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        """A card's button: one click acts, else its form opens."""
        actor = self.actor_of(body)
        name, ref = action.get("action_id", "")[3:], str(action.get("value") or "")
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        ts = container.get("message_ts")
        taken = actions.find(name)
        if name == "open_form":
            await ack()
            outcome = await self.open_log_form(body["trigger_id"], actor, {})
        elif taken is None or not taken.on_item or not (taken.label or taken.raiser_label):
            await ack()
            outcome = Outcome.refused(OLDER)
        elif not taken.fields:  # one click: acknowledged once the change commits
            outcome = await self.run(Command(actor=actor, action=taken.id, ref=ref, delivery=(
                f"slack:action:{actor.identity}:{action.get('action_ts')}")))
            await ack()
            if outcome.repeated:
                return
            # a one-item card shows its new state in place; a combined nudge keeps its other items
            single = action.get("block_id", "") in ("cx_item_actions", "cx_fix_check", "cx_follow_up")
            in_place = outcome.ok and outcome.replies[0].template == "updated" and channel and ts and single
            if in_place and await self.update(str(channel), str(ts), outcome, actor.identity, container):
                return  # else the person hears the new state below
        else:
            await ack()
            outcome = await self.run(Command(actor=actor, action="check", ref=ref, fields={"verb": taken.id}))
            if outcome.ok and outcome.replies[0].template == "check":
                data: dict[str, Any] = {**outcome.replies[0].data, "departments": [], "meta": {
                    "ref": ref, "channel": channel or "", "ts": ts or ""}}
                if any(f.kind == "target" for f in taken.fields):
                    data["departments"] = (await self.run(Command(actor=actor, action="form"))).replies[0].data[
                        "departments"]
                try:
                    await self.client.views_open(trigger_id=body["trigger_id"],
                                                 view=self.renderer.render("action_form", data))
                    return
                except Exception as error:  # the person hears it, with the way that needs no form
                    log.warning("views.open failed for the %s form", taken.id, exc_info=True)
                    outcome = not_opened(error, taken.typed(ref))
        if outcome.replies:
            await self.respond(respond, outcome, actor.identity, channel, replace_original=False)

    async def update(self, channel: str, ts: str, outcome: Outcome, identity: str,
                     container: dict[str, Any]) -> bool:
        """Show the new state in the message whose button was pressed; False when Slack would not (the change
        is made: the caller tells the person another way)."""
        if container.get("is_ephemeral"):
            return True
        body = await self.message(outcome, identity)
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=body["text"], blocks=body["blocks"])
        except Exception as error:
            log.warning("chat.update failed (%s); the person is told in a message instead", failure(error).reason,
                        exc_info=True)
            return False
        return True

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        taken = actions.find(view.get("callback_id", "")[3:-5])
        if taken is None or not taken.fields:
            await ack()
            return
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except json.JSONDecodeError:
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
        actor = self.actor_of(body)
        fields = form_fields(taken, values(view))
        if taken.id == "log" and (meta.get("source") or meta.get("ts")):
            fields["source"] = str(meta.get("source") or await self.permalink(str(meta.get("channel") or ""),
                                                                              str(meta["ts"])))
        ref = None if taken.id == "log" else str(meta.get("ref") or "")
        if taken.id == "log" and meta.get("anyway"):  # the form came back with similar items: logged all the same
            fields["anyway"] = "yes"
        outcome = await self.run(Command(actor=actor, action=taken.id, ref=ref, fields=fields, delivery=(
            f"slack:view:{view.get('id')}" + (":anyway" if meta.get("anyway") else ""))))
        if not outcome.ok:
            problem = outcome.replies[0].data
            await ack(response_action="errors", errors={block_of(taken, problem.get("field")):
                                                        problem["message"][:3000]})
            return
        if outcome.replies and outcome.replies[0].template == "similar":  # the form again, the similar items on top
            await ack(response_action="update", view=await again(self, actor, fields, outcome, meta))
            return
        await ack()
        if outcome.repeated:
            return
        in_place = taken.id != "log" and meta.get("channel") and meta.get("ts") and outcome.replies[
            0].template == "updated"
        if in_place and await self.update(str(meta["channel"]), str(meta["ts"]), outcome, actor.identity, {}):
            return
        await self.confirm(outcome, actor.identity, meta.get("channel"))

    async def confirm(self, outcome: Outcome, identity: str, channel: str | None) -> None:
        """The submitter's answer: ephemeral where they started, else in their DM with the bot (should that fail
        too, the log says the person did not hear it)."""
        body = await self.message(outcome, identity)
        user = identity.split(":", 1)[1]
        if channel:
            try:
                await self.client.chat_postEphemeral(channel=channel, user=user, text=body["text"],
                                                     blocks=body["blocks"])
                return
            except Exception:  # e.g. not_in_channel: fall back to the DM
                log.info("ephemeral confirmation in %s failed; sending a DM", channel, exc_info=True)
        try:
            await self.client.chat_postMessage(channel=user, text=body["text"], blocks=body["blocks"])
        except Exception:
            log.exception("could not answer %s, neither where they asked nor in their DM: they did not hear it", user)

    async def respond(self, respond: Callable[..., Awaitable[Any]], outcome: Outcome, identity: str,
                      channel: str | None, **how: Any) -> None:
        """Answer through the request's response_url; should Slack refuse it there (expired, used up, down),
        the person hears it as a form's submitter does (`confirm`)."""
        try:
            answered = await respond(**await self.message(outcome, identity), response_type="ephemeral", **how)
            refused = f"{answered.status_code} {(answered.body or '')[:200]}" if answered.status_code >= 300 else ""
        except Exception as error:  # noqa: BLE001 - the change is made; the answer goes another way
            refused = repr(error)[:200]
        if refused:
            log.warning("Slack refused the answer through its response_url (%s); answering another way", refused)
            await self.confirm(outcome, identity, channel)

    async def on_global_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        actor = self.actor_of(body)
        outcome = await self.open_log_form(body["trigger_id"], actor, {})
        if not outcome.ok:
            await self.confirm(outcome, actor.identity, None)

    async def on_message_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        actor = self.actor_of(body)
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id", "")
        # the modal first (the trigger lasts 3 s); the message's link is fetched when the form is submitted
        outcome = await self.open_log_form(body["trigger_id"], actor, {"channel": channel,
                                                                       "ts": str(message.get("ts") or "")},
                                           {"text": readable(message)})
        if not outcome.ok:
            await self.confirm(outcome, actor.identity, channel or None)

    async def apologise(self, user_id: str, what: str, why: str) -> None:
        """Tell someone, once, that their request was given up on (the inbox tried it several times)."""
        await self.client.chat_postMessage(channel=user_id, text=(
            f"Sorry: I could not {what} after several tries ({why[:200]}), and I have stopped trying. Nothing "
            "was changed by it. Please try again, or tell your CX admin (they can see it with 'cxbot inbox')."))

    async def permalink(self, channel: str, ts: str) -> str:
        """A message's link, or "" (the item is logged without it rather than not at all)."""
        try:
            return str((await self.client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
        except Exception:
            log.warning("chat.getPermalink failed for %s", channel, exc_info=True)
            return ""

    async def on_home(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event.get("user", "")
        actor = self.actor(user, event_team(body), enterprise=body.get("enterprise_id"))
        outcome = await self.run(Command(actor=actor, action="home", delivery=f"slack:event:{body.get('event_id')}"))
        if outcome.repeated or not outcome.replies:
            return
        if not outcome.ok:
            view = {"type": "home", "blocks": (await self.message(outcome, actor.identity))["blocks"]}
        else:
            view = self.renderer.render("home", outcome.replies[0].data,
                                        tz=outcome.zone or await zone_of(self.app.db, self.app.org, actor.identity))
        await self.client.views_publish(user_id=user, view=view)
        await self.learn(user, body.get("team_id"))

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed (%s) for a %s payload", type(error).__name__, body.get("type"),
                  exc_info=error)
