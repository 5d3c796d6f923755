"""The neutral language between the doors and the use cases: who asks, what for, and what comes back."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.org import Org


@dataclass(frozen=True, kw_only=True)
class Actor:
    """The person behind a request, as the door knows them."""

    identity: str  # slack:U123, teams:<aadObjectId>, local:ana
    display_name: str | None = None
    email: str | None = None
    timezone: str | None = None
    workspace: str | None = None  # the person's own Slack team id, or the Teams tenant id, the request came from
    enterprise: str | None = None  # their Slack Enterprise Grid organisation, when there is one

    @property
    def platform(self) -> str:
        return self.identity.split(":", 1)[0]


@dataclass(frozen=True, kw_only=True)
class Command:
    """One request: who, what for (an action name), on which item, with which fields."""

    actor: Actor
    action: str
    ref: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    # the platform's identity of this delivery (event id, action ts): a second delivery of it acts not at all
    delivery: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the asker sees: a template name and its view-model; the door renders it for its surface."""

    template: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """A notification for someone else, already written to the outbox in the same transaction."""

    recipient: str
    template: str
    data: dict[str, Any]


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    ok: bool = True
    repeated: bool = False  # the same delivery was handled before: nothing was done, nothing to say
    zone: str | None = None  # the asker's time zone, found in the command's own transaction, for its replies

    @classmethod
    def refused(cls, message: str, **data: Any) -> Outcome:
        return cls(replies=[Reply("problem", {"message": message, **data})], ok=False)

    @classmethod
    def reply(cls, template: str, **data: Any) -> Outcome:
        return cls(replies=[Reply(template, data)])


class Refusal(Exception):
    """An error a person caused: it carries the message for that person and nothing changes."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field at fault, so a form can show the message beside it


@dataclass(frozen=True, kw_only=True)
class Context:
    """What every handler may use: the open session (one transaction), the clock and the org's settings, and
    (where this process serves the dashboard) how to link to it."""

    session: AsyncSession
    clock: Clock
    org: Org
    links: Links | None = None
    # another read-only transaction, where a page may read an independent figure side by side with the rest
    # (PostgreSQL: on a connection of its own, so the database works on both at once); None: one at a time
    aside: Callable[[], AbstractAsyncContextManager[AsyncSession]] | None = None


class Links(Protocol):
    """Addresses of the dashboard this process serves."""

    def sign_in(self, nonce: str) -> str:
        """A signed, one-use sign-in link for the sign-in kept under `nonce`."""

    def page(self, path: str = "") -> str:
        """The address of a dashboard page ("" for its front page)."""
