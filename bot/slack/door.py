"""Bolt listeners: each Slack payload becomes a neutral Command; each Outcome becomes Block Kit.

Every listener acknowledges first (Slack waits 3 s), except form submissions, whose validation errors must
travel back in the acknowledgement itself. Deliveries carry their Slack identity (trigger id, action ts,
view id, event id), claimed in the database, so retries and double submissions act once.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.app import UNAVAILABLE, App
from bot.slack.delivery import SlackDelivery, failure
from handlers.base import Actor, Command, Outcome, Refusal
from handlers.parse import parse
from messages.render import SlackRenderer

log = logging.getLogger(__name__)
WORKERS = 2  # accepted requests worked on at once, per process
FORMS = {"resolve", "decline", "reopen", "snooze", "reassign"}
DIRECT = {"acknowledge": "ack", "fixed": "fixed"}
FORM_FIELDS = {  # submitted block id -> command field, and where a refusal without a field is shown
    "cx_log_form": ({"summary": "summary", "details": "details", "stage": "stage", "severity": "severity",
                     "department": "department", "customer": "customer"}, "summary"),
    "cx_resolve_form": ({"note": "note", "cause": "cause"}, "note"),
    "cx_decline_form": ({"reason": "reason"}, "reason"),
    "cx_reopen_form": ({"reason": "reason"}, "reason"),
    "cx_snooze_form": ({"until": "until"}, "until"),
    "cx_reassign_form": ({"department": "to", "person": "to", "note": "note"}, "department"),
}


UNREADABLE = ("I couldn't read that message ({reason}), so nothing was logged. Invite me to the channel "
              "(/invite @cxbot) and react again, or use the message's menu: More actions > Log as customer "
              "pain point.")
MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def plain(text: str) -> str:
    """A Slack message's text as a person reads it: <@U1> is @U1, <#C1|general> is #general, <!here> is
    @here, <https://x|label> is "label (https://x)", and &amp; &lt; &gt; are & < >."""

    def readable(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("@"):
            return f"@{label or target[1:]}"
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label and label != target else target

    return MARKUP.sub(readable, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def values(view: dict[str, Any]) -> dict[str, str]:
    """A submitted modal's inputs, by block id (text, selected option, or selected user)."""
    found: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for element in actions.values():
            if not isinstance(element, dict):
                continue
            value = element.get("value")
            if value is None and isinstance(element.get("selected_option"), dict):
                value = element["selected_option"].get("value")
            if value is None and element.get("selected_user"):
                value = f"slack:{element['selected_user']}"
            if isinstance(value, str):
                found[block_id] = value
    return found


class SlackDoor:
    def __init__(self, app: App) -> None:
        settings = app.settings
        assert settings.slack_bot_token and settings.slack_signing_secret
        self.app, self.settings = app, settings
        self.delivery: SlackDelivery = app.slack
        self.client: AsyncWebClient = self.delivery.client
        self.renderer: SlackRenderer = self.delivery.renderer
        self.known: set[str] = set()  # users whose profile this process has already fetched
        self.zones: dict[str, str] = {}  # their time zones
        # accepted requests waiting for a worker: (when queued, request id, kind, payload)
        self.queue: asyncio.Queue[tuple[float, int, str, dict[str, Any]]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.held: set[int] = set()  # the ids of the requests in that queue or being worked on
        self.session: aiohttp.ClientSession | None = None
        self.bolt = AsyncApp(signing_secret=settings.slack_signing_secret.get_secret_value(),
                             client=self.client, logger=log,
                             process_before_response=settings.slack_process_before_response)
        self.register()

    # -- the HTTP route -------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        try:
            with self.app.answer_owed():
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

    def register(self) -> None:
        self.bolt.command(re.compile(r"^/cx"))(guarded(self.on_command))
        self.bolt.action(re.compile(r"^cx_"))(guarded(self.on_action))
        self.bolt.view_submission(re.compile(r"^cx_.*_form$"))(guarded(self.on_submit))
        self.bolt.shortcut("cx_log")(guarded(self.on_global_shortcut))
        self.bolt.shortcut("cx_log_message")(guarded(self.on_message_shortcut))
        self.bolt.event("app_home_opened")(guarded(self.on_home))
        self.bolt.event("reaction_added", middleware=[self.write_down_reaction])(guarded(self.on_reaction))
        self.bolt.error(self.on_error)

    # -- helpers --------------------------------------------------------------------------------------
    def tz(self, identity: str) -> str:
        """The reader's time zone, as users.info told this process (else the org's)."""
        return self.zones.get(identity) or self.app.org.timezone

    async def run(self, cmd: Command) -> Outcome:
        outcome = await self.app.run(cmd)
        if outcome.notices and self.app.prompt_delivery:
            self.app.deliver_soon()
        return outcome

    def actor(self, user_id: str, team_id: str | None, name: str | None = None) -> Actor:
        """The payload's user name is a stand-in until users.info has told us their real name."""
        return Actor(identity=f"slack:{user_id}", display_name=None if user_id in self.known else name,
                     workspace=team_id)

    def actor_of(self, body: dict[str, Any]) -> Actor:
        """The person behind an interactive payload (button, form, shortcut)."""
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id")
        return self.actor(user.get("id", ""), team, user.get("name") or user.get("username"))

    async def learn(self, user_id: str, team_id: str | None) -> None:
        """users.info once per person per process: their real name, email and time zone, for nudges."""
        if user_id in self.known:
            return
        self.known.add(user_id)
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except Exception:  # a profile we could not read is not worth failing a request for
            log.warning("users.info failed for %s", user_id, exc_info=True)
            self.known.discard(user_id)
            return
        profile = user.get("profile") or {}
        if user.get("tz"):
            self.zones[f"slack:{user_id}"] = user["tz"]
        await self.app.run(Command(actor=Actor(
            identity=f"slack:{user_id}", workspace=team_id, timezone=user.get("tz"), email=profile.get("email"),
            display_name=profile.get("display_name") or profile.get("real_name") or user.get("real_name")),
            action="profile"))

    def message(self, outcome: Outcome, identity: str) -> dict[str, Any]:
        reply = outcome.replies[0]
        return self.renderer.message(reply.template, reply.data, tz=self.tz(identity))

    async def open_log_form(self, trigger_id: str, actor: Actor, meta: dict[str, str],
                            prefill: dict[str, str] | None = None) -> Outcome:
        outcome = await self.run(Command(actor=actor, action="form", fields=prefill or {}))
        if outcome.ok:
            data = {**outcome.replies[0].data, "meta": meta}
            await self.client.views_open(trigger_id=trigger_id, view=self.renderer.render("log_form", data))
        return outcome

    # -- listeners ------------------------------------------------------------------------------------
    async def on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        text = (command.get("text") or "").strip()
        actor = self.actor(command["user_id"], command.get("team_id"), command.get("user_name"))
        if text.lower() in ("", "log"):
            await ack()
            outcome = await self.open_log_form(command["trigger_id"], actor, {"channel": command["channel_id"]})
            if not outcome.ok:
                await respond(**self.message(outcome, actor.identity), response_type="ephemeral")
        else:
            try:
                parse(text)
            except Refusal as refusal:
                await ack(text=refusal.message)
                return
            # written down first (one insert), answered at once, worked on after: a 200 means the request
            # is kept, and a process that dies before finishing it leaves it to the next (recover below).
            # The answer follows through response_url; notifications go out from the outbox.
            request_id = await self.app.accept(f"slack:command:{command['trigger_id']}",
                                               {"kind": "slack_command", "command": command})
            await ack()
            if request_id is None:
                return  # a redelivery of a command written down before: the first delivery does it
            if not self.settings.slack_process_before_response:  # else Slack waits for this very work
                self.later(request_id, "slack_command", command)
                return
            await self.work_command(request_id, command)
        await self.learn(command["user_id"], command.get("team_id"))

    def later(self, request_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Queue a written-down request for the workers: they take it after the answers still owed (at most
        the app's patience later). Only its id and payload wait, not the whole Bolt request."""
        self.held.add(request_id)
        self.queue.put_nowait((asyncio.get_running_loop().time(), request_id, kind, payload))
        if not self.tasks:
            self.tasks = [asyncio.ensure_future(self.worker()) for _ in range(WORKERS)]

    async def worker(self) -> None:
        while True:
            queued, request_id, kind, payload = await self.queue.get()
            try:
                await self.app.after_answers(queued)
                if kind == "slack_command":
                    await self.work_command(request_id, payload)
                    await self.learn(str(payload.get("user_id") or ""), payload.get("team_id"))
                else:
                    await self.work_reaction(request_id, payload)
            except Exception:  # the request stays written down; recovery tries it again after its lease
                log.exception("working on accepted request %s (%s) failed", request_id, kind)
            finally:
                self.held.discard(request_id)
                self.queue.task_done()

    async def work_command(self, request_id: int, command: dict[str, Any]) -> None:
        """Do what an accepted /cx command asks, marking it finished in the same transaction, then answer
        through its response_url. With the database unreachable it stays unfinished, for `recover`."""
        text = (command.get("text") or "").strip()
        actor = self.actor(str(command.get("user_id") or ""), command.get("team_id"), command.get("user_name"))
        parsed = parse(text)
        outcome = await self.finish(request_id, Command(
            actor=actor, action=parsed.action, ref=parsed.ref, fields=parsed.fields,
            where=command.get("channel_id"), delivery=f"slack:command:{command.get('trigger_id')}"))
        if outcome is None:
            return
        if not outcome.repeated and outcome.replies and command.get("response_url"):
            try:
                await AsyncWebhookClient(str(command["response_url"]), session=await self.http()).send_dict(
                    {**self.message(outcome, actor.identity), "response_type": "ephemeral"})
            except Exception:  # the change is made; only the answer is lost
                log.warning("could not answer a /cx command through its response_url", exc_info=True)

    async def finish(self, request_id: int, cmd: Command) -> Outcome | None:
        """Run a written-down request's command and mark it done, together; None with the database away
        (it stays written down, for `recover`)."""
        try:
            outcome = await self.app.work(cmd, finishes=request_id)
        except UNAVAILABLE:
            log.warning("database unavailable: request %s (%s) left for recovery", request_id, cmd.action,
                        exc_info=True)
            return None
        if outcome.notices and self.app.prompt_delivery:
            self.app.deliver_soon()
        return outcome

    async def http(self) -> aiohttp.ClientSession:
        """One HTTP session for the answers through response_urls (its connections are reused)."""
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self.session

    async def close(self) -> None:
        """Stop the workers (what they had not finished stays written down for the next process)."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        if self.session is not None:
            await self.session.close()

    async def recover(self) -> int:
        """Finish the requests a process accepted but did not finish (it died, or it has held them past their
        lease): each at most once more. The delivery key keeps a request taken over twice acting once."""
        finished = 0
        for request in await self.app.unfinished():
            if request.id in self.held:  # still in this process's queue (a long one): its workers will get to it
                continue
            kind = request.payload.get("kind")
            try:
                if kind == "slack_command":
                    await self.work_command(request.id, dict(request.payload.get("command") or {}))
                elif kind == "slack_reaction":
                    await self.work_reaction(request.id, dict(request.payload))
                else:
                    continue
            except Refusal:
                await self.app.finished(request.id)
            finished += 1
        return finished

    # -- an emoji reaction that logs a message (the org file's slack_log_reaction) ---------------------
    def is_log_reaction(self, event: dict[str, Any]) -> bool:
        wanted = self.app.org.slack_log_reaction
        item = event.get("item") if isinstance(event, dict) else None
        if not wanted or not isinstance(item, dict):
            return False
        reaction = str(event.get("reaction") or "").split("::")[0]  # "rotating_light::skin-tone-2"
        return reaction == wanted and item.get("type") == "message" and all(
            isinstance(v, str) and v for v in (item.get("channel"), item.get("ts"), event.get("user")))

    async def write_down_reaction(self, body: dict[str, Any], context: AsyncBoltContext,
                                  next_: Callable[[], Awaitable[None]]) -> None:
        """Before Bolt acknowledges the event: the reaction is written down (the inbox), so that a 200
        means it will be logged, by this process or, if it dies, by the next."""
        event = body.get("event")
        if isinstance(event, dict) and self.is_log_reaction(event) and body.get("event_id"):
            context["cx_request"] = await self.app.accept(f"slack:event:{body['event_id']}", {
                "kind": "slack_reaction", "team_id": body.get("team_id"), "event_id": body["event_id"],
                "event": event})
        await next_()

    async def on_reaction(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        request_id = context.get("cx_request")
        if request_id is None:  # another emoji, or a redelivery of one written down before
            return
        payload = {"team_id": body.get("team_id"), "event_id": body.get("event_id"), "event": body.get("event")}
        if self.settings.slack_process_before_response:
            await self.work_reaction(request_id, payload)
        else:
            self.later(request_id, "slack_reaction", payload)

    async def work_reaction(self, request_id: int, payload: dict[str, Any]) -> None:
        """Log the message reacted to (once per message: later reactors are counted as affected) and tell
        the reactor. A message the bot cannot read gets the reactor a way forward, not silence."""
        event, team = payload.get("event") or {}, payload.get("team_id")
        item = event.get("item") or {}
        channel, ts, user = str(item.get("channel") or ""), str(item.get("ts") or ""), str(event.get("user") or "")
        actor = self.actor(user, team)
        try:
            message = await self.message_at(channel, ts)
            source = str((await self.client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
        except Exception as error:  # sorted like a failed delivery: try again later, or explain
            failed = failure(error)
            log.warning("could not read message %s in %s (%s)%s", ts, channel, failed.reason,
                        "" if failed.permanent else ": left for a later try", exc_info=True)
            if not failed.permanent:
                return
            await self.app.finished(request_id)
            await self.confirm(Outcome.refused(UNREADABLE.format(reason=failed.reason)), actor.identity, None)
            return
        if message is None:
            await self.app.finished(request_id)
            await self.confirm(Outcome.refused("I couldn't find that message any more (deleted?), so nothing "
                                               "was logged. Type /cx to log it with the form."), actor.identity, None)
            return
        words = plain(str(message.get("text") or "")).strip()
        first = words.splitlines()[0].strip() if words else ""
        summary = (first if len(first) <= 200 else first[:199] + "…") or "A message without text (see the link)"
        outcome = await self.finish(request_id, Command(
            actor=actor, action="log_message", where=channel, delivery=f"slack:event:{payload.get('event_id')}",
            fields={"summary": summary, "details": words if words != first else "", "source": source}))
        if outcome is None:
            return
        if not outcome.repeated and outcome.replies:
            await self.confirm(outcome, actor.identity, channel)
        await self.learn(user, team)

    async def message_at(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message, in the channel or in a thread (conversations.history does not return replies)."""
        history = await self.client.conversations_history(channel=channel, latest=ts, oldest=ts, inclusive=True,
                                                          limit=1)
        for message in history.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        replies = await self.client.conversations_replies(channel=channel, ts=ts, latest=ts, oldest=ts,
                                                          inclusive=True, limit=1)
        for message in replies.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        return None

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        respond: AsyncRespond) -> None:
        actor = self.actor_of(body)
        verb, ref = action.get("action_id", "")[3:], str(action.get("value") or "")
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        ts = container.get("message_ts")
        if verb not in DIRECT:
            await ack()
        if verb in DIRECT:
            outcome = await self.run(Command(actor=actor, action=DIRECT[verb], ref=ref, delivery=(
                f"slack:action:{actor.identity}:{action.get('action_ts')}")))
            await ack()  # after the change commits; the message is updated after the answer
            if outcome.repeated:
                return
            # a one-item card shows its new state in place; a combined nudge keeps its other items
            single = action.get("block_id", "") in ("cx_item_actions", "cx_fix_check")
            if outcome.ok and outcome.replies[0].template == "updated" and channel and ts and single:
                await self.update(channel, ts, outcome, actor.identity, container)
                return
        elif verb == "open_form":
            outcome = await self.open_log_form(body["trigger_id"], actor, {})
        elif verb in FORMS:
            outcome = await self.run(Command(actor=actor, action="check", ref=ref, fields={"verb": verb}))
            if outcome.ok and outcome.replies[0].template == "check":
                data: dict[str, Any] = {**outcome.replies[0].data, "meta": {"ref": ref, "channel": channel or "",
                                                                          "ts": ts or ""}}
                if verb == "reassign":
                    data["departments"] = (await self.run(Command(actor=actor, action="form"))).replies[0].data[
                        "departments"]
                await self.client.views_open(trigger_id=body["trigger_id"],
                                             view=self.renderer.render(f"{verb}_form", data))
                return
        else:
            outcome = Outcome.refused("That button is from an older version of the bot. Type /cx help.")
        if outcome.replies:
            await respond(**self.message(outcome, actor.identity), response_type="ephemeral",
                          replace_original=False)

    async def update(self, channel: str, ts: str, outcome: Outcome, identity: str,
                     container: dict[str, Any]) -> None:
        """Show the new state in the message whose button was pressed."""
        body = self.message(outcome, identity)
        if container.get("is_ephemeral"):
            return
        await self.client.chat_update(channel=channel, ts=ts, text=body["text"], blocks=body["blocks"])

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        callback = view.get("callback_id", "")
        mapping, default_block = FORM_FIELDS.get(callback, ({}, "summary"))
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except json.JSONDecodeError:
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
        actor = self.actor_of(body)
        submitted = values(view)
        fields = {mapping[b]: v for b, v in submitted.items() if b in mapping and v}
        if callback == "cx_reassign_form" and "person" in submitted:
            fields["to"] = submitted["person"]  # a chosen person wins over a chosen department
        if callback == "cx_log_form":
            action, ref = "log", None
            if meta.get("source"):
                fields["source"] = str(meta["source"])
        else:
            action, ref = callback[3:-5], str(meta.get("ref") or "")
            action = {"reassign": "assign"}.get(action, action)
        if not mapping:
            await ack()
            return
        outcome = await self.run(Command(actor=actor, action=action, ref=ref, fields=fields,
                                         delivery=f"slack:view:{view.get('id')}"))
        if not outcome.ok:
            field = outcome.replies[0].data.get("field")
            block = next((b for b, f in mapping.items() if f == field), default_block)
            await ack(response_action="errors", errors={block: outcome.replies[0].data["message"][:3000]})
            return
        await ack()
        if outcome.repeated:
            return
        if action == "log":
            await self.confirm(outcome, actor.identity, meta.get("channel"))
        elif meta.get("channel") and meta.get("ts") and outcome.replies[0].template == "updated":
            await self.update(str(meta["channel"]), str(meta["ts"]), outcome, actor.identity, {})
        else:
            await self.confirm(outcome, actor.identity, meta.get("channel"))

    async def confirm(self, outcome: Outcome, identity: str, channel: str | None) -> None:
        """The submitter's answer: ephemeral where they started, else in their DM with the bot."""
        body = self.message(outcome, identity)
        user = identity.split(":", 1)[1]
        if channel:
            try:
                await self.client.chat_postEphemeral(channel=channel, user=user, text=body["text"],
                                                     blocks=body["blocks"])
                return
            except Exception:  # e.g. not_in_channel: fall back to the DM
                log.info("ephemeral confirmation in %s failed; sending a DM", channel, exc_info=True)
        await self.client.chat_postMessage(channel=user, text=body["text"], blocks=body["blocks"])

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
        text = plain(str(message.get("text") or "")).strip()
        first_line = text.splitlines()[0] if text else ""
        source = ""
        try:
            source = (await self.client.chat_getPermalink(channel=channel, message_ts=message.get("ts", "")))[
                "permalink"]
        except Exception:  # the form still works without the link
            log.warning("chat.getPermalink failed for %s", channel, exc_info=True)
        prefill = {"summary": first_line[:200], "details": text if text != first_line else "", "source": source}
        outcome = await self.open_log_form(body["trigger_id"], actor, {"channel": channel, "source": source},
                                           prefill)
        if not outcome.ok:
            await self.confirm(outcome, actor.identity, channel or None)

    async def on_home(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event.get("user", "")
        actor = self.actor(user, body.get("team_id"))
        outcome = await self.run(Command(actor=actor, action="home", delivery=f"slack:event:{body.get('event_id')}"))
        if outcome.repeated or not outcome.replies:
            return
        if not outcome.ok:
            view = {"type": "home", "blocks": (self.message(outcome, actor.identity))["blocks"]}
        else:
            view = self.renderer.render("home", outcome.replies[0].data, tz=self.tz(actor.identity))
        await self.client.views_publish(user_id=user, view=view)
        await self.learn(user, body.get("team_id"))

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed (%s) for a %s payload", type(error).__name__, body.get("type"),
                  exc_info=error)


SORRY = ("Something went wrong on my side while answering that. Check /cx mine before trying again; "
         "the CX admins can find the details in the bot's log.")


def guarded(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """An error we cause is logged with its context and never reaches Slack as a 500 or a traceback."""

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception:  # logged here, answered politely below
            body = kwargs.get("body") or {}
            log.exception("Slack %s listener %s failed", body.get("type") or "command", listener.__name__)
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                await ack(text=SORRY) if body.get("type") in (None, "block_actions") else await ack()

    return run


def mount(web_app: web.Application, app: App) -> SlackDoor:
    door = SlackDoor(app)
    web_app.router.add_post("/slack/events", door.handle)
    return door

