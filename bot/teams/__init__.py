"""Teams: `enable` builds the Bot Framework adapter, the door and the sender of outbox messages, and returns
them as one `Teams` the server mounts.

Every botbuilder import of the project lives in this package, so moving to the Microsoft 365 Agents SDK
(the same Activity protocol) is a change to this package only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.teams.door import TeamsDoor
from bot.teams.sender import TeamsSender
from messages.render import TeamsRenderer

if TYPE_CHECKING:
    from bot.app import App


class Config:
    """The shape ConfigurationBotFrameworkAuthentication reads (as in the official samples)."""

    def __init__(self, app_id: str, password: str, app_type: str, tenant_id: str) -> None:
        self.APP_ID, self.APP_PASSWORD, self.APP_TYPE, self.APP_TENANTID = app_id, password, app_type, tenant_id


@dataclass
class Teams:
    adapter: CloudAdapter
    door: TeamsDoor
    sender: TeamsSender

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post("/api/messages", self.door.handle)


def enable(app: App) -> Teams:
    settings = app.settings
    password = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else ""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config(
        settings.microsoft_app_id or "", password, settings.microsoft_app_type,
        settings.microsoft_app_tenant_id or "")))
    door = TeamsDoor(app, adapter, TeamsRenderer())
    sender = TeamsSender(app, door)
    app.outbox.add(sender)
    return Teams(adapter=adapter, door=door, sender=sender)
