"""Slack: `enable` builds the Web API client, the sender of outbox messages, the Bolt door (buttons, forms,
shortcuts, App Home) with its /cx commands, the reaction logging and the conversation in the bot's DM and
@mentions, and returns them as one `Slack` the server mounts and the app closes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.client import web_client
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
    client: AsyncWebClient
    sender: SlackSender
    door: SlackDoor
    commands: Commands
    reactions: Reactions
    conversation: Conversation

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post("/slack/events", self.door.handle)

    async def close(self) -> None:
        await self.commands.close()


def enable(app: App) -> Slack:
    client, renderer = web_client(app.settings), SlackRenderer()
    sender = SlackSender(app, client, renderer)
    app.outbox.add(sender)
    door = SlackDoor(app, client, renderer)
    return Slack(client=client, sender=sender, door=door, commands=Commands(app, door), reactions=Reactions(app, door),
                 conversation=Conversation(app, door))
