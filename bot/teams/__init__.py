"""Teams: `enable` builds the Bot Framework adapter, the door and the sender of outbox messages, and returns
them as one `Teams` the server mounts.

Every botbuilder import of the project lives in this package, so moving to the Microsoft 365 Agents SDK
(the same Activity protocol) is a change to this package only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import AuthenticationConstants as Constants

from bot.teams import auth
from bot.teams.connector import Authentication, Driver
from bot.teams.door import TeamsDoor
from bot.teams.route import Route
from bot.teams.sender import TeamsSender
from messages.render import TeamsRenderer

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings


class Config:
    """The shape ConfigurationBotFrameworkAuthentication reads (as in the official samples). The endpoints are
    given only when the settings name one (a private cloud, the tests): then all of them are, defaults filled."""

    def __init__(self, settings: Settings) -> None:
        password = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else ""
        self.APP_ID, self.APP_PASSWORD = settings.microsoft_app_id or "", password
        self.APP_TYPE, self.APP_TENANTID = settings.microsoft_app_type, settings.microsoft_app_tenant_id or ""
        if any(endpoints(settings)):
            (self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
             self.TO_CHANNEL_FROM_BOT_LOGIN_URL, self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
             self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL) = (
                settings.bot_openid_metadata_url or Constants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
                settings.bot_token_issuer or Constants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
                settings.bot_login_url or Constants.TO_CHANNEL_FROM_BOT_LOGIN_URL,
                settings.bot_oauth_scope or Constants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
                settings.bot_emulator_metadata_url or Constants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL)
            self.VALIDATE_AUTHORITY = False  # a private cloud's login endpoint is not one Microsoft knows


def endpoints(settings: Settings) -> tuple[str | None, ...]:
    return (settings.bot_openid_metadata_url, settings.bot_token_issuer, settings.bot_login_url,
            settings.bot_oauth_scope, settings.bot_emulator_metadata_url)


def gate(settings: Settings) -> auth.Gate | None:
    """The token check before a body is read; none without an app id (the Emulator, unauthenticated)."""
    if not settings.microsoft_app_id:
        return None
    return auth.Gate(app_id=settings.microsoft_app_id,
                     channel_metadata=settings.bot_openid_metadata_url
                     or Constants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
                     channel_issuer=settings.bot_token_issuer or Constants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
                     other_metadata=settings.bot_emulator_metadata_url
                     or Constants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL)


@dataclass
class Teams:
    adapter: CloudAdapter
    door: TeamsDoor
    sender: TeamsSender
    route: Route
    driver: Driver

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post("/api/messages", self.route.handle)

    async def close(self) -> None:
        """The connector's connections (after the outbox's sends under way have finished)."""
        await self.driver.close()


def enable(app: App) -> Teams:
    auth.install()
    config = Config(app.settings)
    credentials = auth.ReusedCredentials(ConfigurationServiceClientCredentialFactory(config))
    driver = Driver()
    adapter = CloudAdapter(Authentication(config, credentials_factory=credentials, driver=driver))
    door = TeamsDoor(app, adapter, TeamsRenderer())
    sender = TeamsSender(app, door)
    app.outbox.add(sender)
    return Teams(adapter=adapter, door=door, sender=sender, route=Route(door, gate(app.settings)),
                 driver=driver)
