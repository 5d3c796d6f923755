"""Configuration from the environment (and a .env file): every variable the README lists."""
from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_URL, validation_alias="DATABASE_URL")
    database_schema: str | None = Field(None, validation_alias="CX_DATABASE_SCHEMA")  # PostgreSQL only
    # connecting, each statement and waiting for a pooled connection (PostgreSQL), and the health check
    database_timeout: float = Field(10.0, gt=0, le=600, validation_alias="CX_DATABASE_TIMEOUT_SECONDS")
    org_file: str | None = Field(None, validation_alias="CX_ORG_FILE")
    admins: str = Field("", validation_alias="CX_ADMINS")
    host: str = Field("0.0.0.0", validation_alias="HOST")
    port: int = Field(3978, validation_alias="PORT")
    log_level: str = Field("INFO", validation_alias="CX_LOG_LEVEL")
    # a connection that sends no complete request within this is closed (slow-header clients among them)
    idle_timeout: float = Field(15.0, gt=0, le=3600, validation_alias="CX_IDLE_TIMEOUT_SECONDS")
    # connections served at once; one more is closed as it arrives
    max_connections: int = Field(512, ge=1, le=100_000, validation_alias="CX_MAX_CONNECTIONS")
    outbox_interval: float = Field(5.0, validation_alias="CX_OUTBOX_INTERVAL_SECONDS")
    # how long a process may hold a message it is sending before another may take it over
    outbox_lease: float = Field(120.0, validation_alias="CX_OUTBOX_LEASE_SECONDS")
    # recipients one process sends to at once on each platform (each one's messages stay in order)
    outbox_concurrency: int = Field(8, ge=1, le=64, validation_alias="CX_OUTBOX_CONCURRENCY")
    # how long a request written down on arrival may wait for its process before another finishes it
    inbox_lease: float = Field(30.0, validation_alias="CX_INBOX_LEASE_SECONDS")

    # the dashboard: the base URL its links use (default http://localhost:PORT), and the key its sign-in links
    # and sessions are signed with (unset: one is generated once and kept in the database, shared by replicas)
    public_url: str | None = Field(None, validation_alias="CX_PUBLIC_URL")
    secret_key: SecretStr | None = Field(None, validation_alias="CX_SECRET_KEY")

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(None, validation_alias="SLACK_API_URL")
    # finish listeners before answering Slack (for FaaS hosts, and for deterministic tests); off by default
    slack_process_before_response: bool = Field(False, validation_alias="CX_SLACK_PROCESS_BEFORE_RESPONSE")

    microsoft_app_id: str | None = Field(None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(None, validation_alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str | None = Field(None, validation_alias="MICROSOFT_APP_TENANT_ID")
    microsoft_app_type: str = Field("MultiTenant", validation_alias=AliasChoices("MICROSOFT_APP_TYPE"))
    teams_emulator: bool = Field(False, validation_alias="CX_TEAMS_EMULATOR")
    # the Bot Framework's own endpoints, under the names its SDK reads: set only for a private or sovereign
    # cloud (and by the tests, which serve them on loopback); unset, the public cloud's
    bot_openid_metadata_url: str | None = Field(None, validation_alias="TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL")
    bot_token_issuer: str | None = Field(None, validation_alias="TO_BOT_FROM_CHANNEL_TOKEN_ISSUER")
    bot_login_url: str | None = Field(None, validation_alias="TO_CHANNEL_FROM_BOT_LOGIN_URL")
    bot_oauth_scope: str | None = Field(None, validation_alias="TO_CHANNEL_FROM_BOT_OAUTH_SCOPE")
    bot_emulator_metadata_url: str | None = Field(None, validation_alias="TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL")

    @property
    def admin_list(self) -> list[str]:
        return [a.strip() for a in self.admins.split(",") if a.strip()]

    @property
    def slack_enabled(self) -> bool:
        """The bot token, and a way in: the signing secret (HTTP) or an app-level token (Socket Mode)."""
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id or self.teams_emulator)

    @property
    def has_platform(self) -> bool:
        return self.slack_enabled or self.teams_enabled or bool(self.slack_app_token)
