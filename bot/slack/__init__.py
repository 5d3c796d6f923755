"""Slack: `enable` builds the Web API client, the sender of outbox messages, the Bolt door (buttons, forms,
shortcuts, App Home) with its /cx commands, the reaction logging and the conversation in the bot's DM and
@mentions, and returns them as one `Slack` the server mounts and the app closes."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.slack.client import KeptAlive, web_client
from bot.slack.commands import Commands
from bot.slack.conversation import Conversation
from bot.slack.door import SlackDoor
from bot.slack.reactions import Reactions
from bot.slack.sender import SlackSender
from messages.render import SlackRenderer

if TYPE_CHECKING:
    from bot.app import App


@dataclass
class Slack:
    client: KeptAlive
    sender: SlackSender
    door: SlackDoor
    commands: Commands
    reactions: Reactions
    conversation: Conversation

    app_token: str | None = None  # Socket Mode: Slack's events come over a socket the bot opens
    socket: AsyncSocketModeHandler | None = None
    connecting: asyncio.Task[None] | None = None

    def mount(self, web_app: web.Application) -> None:
        """The HTTP endpoint, where a signing secret lets the bot check what comes in (Socket Mode needs none)."""
        if self.door.signed:
            web_app.router.add_post("/slack/events", self.door.handle)

    async def connect(self) -> None:
        """Start opening the Socket Mode connection, when there is an app-level token, in the background:
        slack_sdk retries until it is open, and while it is not the server still starts (HTTP, the outbox, the
        scheduler) and /healthz says so."""
        if not self.app_token:
            return
        self.socket = AsyncSocketModeHandler(self.door.bolt, self.app_token)
        self.connecting = asyncio.ensure_future(self.socket.connect_async())

    async def problem(self) -> str | None:
        """What keeps Slack from working now, for /healthz: the token, or the socket."""
        if self.sender.problem:
            return self.sender.problem
        if self.socket is not None and not await self.socket.client.is_connected():
            return "Socket Mode is not connected (yet): Slack's events cannot reach the bot"
        return None

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()
        if self.connecting is not None:
            self.connecting.cancel()
            await asyncio.gather(self.connecting, return_exceptions=True)
        await self.commands.close()
        await self.client.close()


def enable(app: App) -> Slack:
    client, renderer = web_client(app.settings), SlackRenderer()
    sender = SlackSender(app, client, renderer)
    app.outbox.add(sender)
    door = SlackDoor(app, client, renderer)
    token = app.settings.slack_app_token
    return Slack(client=client, sender=sender, door=door, commands=Commands(app, door), reactions=Reactions(app, door),
                 conversation=Conversation(app, door), app_token=token.get_secret_value() if token else None)
