"""Who the bot can reach in Teams, and how: the conversations it was in (kept as references), the people of the
teams and chats it is installed in (their rosters give email and Entra object id, so people the org file names
by email are matched), and what goes when the bot is removed or uninstalled.

Each is a command to the handlers ("remember", "roster", "forget", "profile"); this module only reads Teams.
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from handlers import clock
from handlers.base import Actor, Command
from handlers.conversations import ROSTER_LIMIT

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
PAGE = ROSTER_LIMIT  # members per roster page (Teams' largest), and per roster command
PAGES = 100  # at most this many pages per team (50,000 people)


def identity_of(account: ChannelAccount) -> str | None:
    """A Teams person's stable id: their Entra (AAD) object id, else the channel account id (the Emulator)."""
    return getattr(account, "aad_object_id", None) or account.id


def tenant_of(activity: Activity) -> str | None:
    """The tenant, from channelData (a serialised ConversationReference drops conversation.tenantId)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id")
    return tenant or (activity.conversation.tenant_id if activity.conversation else None)


def team_of(activity: Activity) -> str | None:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = data.get("team")
    return str(team.get("id") or "") or None if isinstance(team, dict) else None


def is_personal(activity: Activity) -> bool:
    return bool(activity.conversation and activity.conversation.conversation_type == "personal")


def leaving(activity: Activity) -> bool:
    """The bot is being uninstalled from, or removed from, this conversation."""
    if activity.type == ActivityTypes.installation_update:
        return (activity.action or "").startswith("remove")
    bot = activity.recipient.id if activity.recipient else None
    return any(m.id == bot for m in activity.members_removed or [])


class Reach:
    def __init__(self, app: App) -> None:
        self.app = app
        self.known: set[str] = set()  # people whose Teams profile this process has fetched
        self.references: dict[str, tuple[str | None, str | None, str]] = {}  # conversations already stored
        self.zones: dict[str, str] = {}  # people's time zones this process has stored

    def actor(self, activity: Activity) -> Actor:
        sender = activity.from_property or ChannelAccount()
        return Actor(identity=f"teams:{identity_of(sender) or 'unknown'}", workspace=tenant_of(activity))

    async def remember(self, context: TurnContext) -> None:
        """Keep this conversation's reference, so nudges and notices can reach this person or channel. An
        installation or membership change is always written (it may follow a removal another process saw)."""
        activity = context.activity
        if leaving(activity):
            return
        always = activity.type in (ActivityTypes.installation_update, ActivityTypes.conversation_update)
        reference = TurnContext.get_conversation_reference(activity).serialize()
        conversation = activity.conversation
        personal = is_personal(activity)
        sender = activity.from_property or ChannelAccount()
        ident = identity_of(sender)
        fields = {"reference": json.dumps(reference), "tenant": tenant_of(activity) or "",
                  "service_url": activity.service_url or "", "user_id": sender.id or "",
                  "personal": "yes" if personal else "", "team": team_of(activity) or ""}
        channel = (activity.channel_data or {}).get("channel", {}) if isinstance(activity.channel_data, dict) else {}
        wanted = [({**fields, "key": f"teams:{ident}"})] if ident else []
        if channel.get("id"):
            wanted.append({**fields, "key": f"teams-channel:{channel['id']}", "personal": "", "user_id": ""})
        for remembered in wanted:
            seen = (conversation.id if conversation else None, activity.service_url, remembered["personal"])
            if not always and self.references.get(remembered["key"]) == seen:
                continue  # this process stored this very conversation already
            outcome = await self.app.run(Command(actor=self.actor(activity), action="remember", fields=remembered))
            if outcome.ok:
                self.references[remembered["key"]] = seen

    async def learn(self, context: TurnContext) -> None:
        """The person's email (for org-file people named by email), from Teams' member API, once."""
        sender = context.activity.from_property or ChannelAccount()
        ident = identity_of(sender)
        if not ident or ident in self.known:
            return
        self.known.add(ident)  # tried once per process, read or not
        await self.profile(context, sender.id, ident)

    async def profile(self, context: TurnContext, member_id: str, ident: str) -> bool:
        """Teams' member API tells the handlers this person's name and email; False when Teams would not."""
        try:
            member = await TeamsInfo.get_member(context, member_id)
        except Exception:  # not every conversation lets us read its members
            log.info("Teams get_member failed for %s", ident, exc_info=True)
            return False
        read = _member(member)
        await self.app.run(Command(actor=Actor(identity=f"teams:{ident}", email=read["email"] or None,
                                               display_name=read["name"] or None,
                                               workspace=tenant_of(context.activity)), action="profile"))
        return True

    async def zone(self, context: TurnContext) -> None:
        """The person's time zone, from the clientInfo entity Teams sends with their messages: their times and
        working hours follow it. Told to the handlers when it is new or changed (once per process)."""
        activity = context.activity
        ident = identity_of(activity.from_property or ChannelAccount())
        info = next((e for e in activity.entities or [] if getattr(e, "type", None) == "clientInfo"), None)
        zone = str((getattr(info, "additional_properties", None) or {}).get("timezone") or "")
        if not ident or not zone or self.zones.get(ident) == zone or not clock.known_zone(zone):
            return
        outcome = await self.app.run(Command(actor=Actor(identity=f"teams:{ident}", timezone=zone,
                                                         workspace=tenant_of(activity)), action="profile"))
        if outcome.ok:
            self.zones[ident] = zone

    async def introduce(self, context: TurnContext, aad: str) -> None:
        """Someone picked in Teams' people picker: their name and email, when Teams lets us read them (else
        they are named by their id until they appear)."""
        if aad not in self.known and await self.profile(context, aad, aad):
            self.known.add(aad)

    async def roster(self, context: TurnContext, members: list[ChannelAccount] | None = None) -> int:
        """Read who is in this team or group chat (or only `members`, newly added), and tell the handlers: each
        becomes reachable through a 1:1 chat. Returns how many people were read."""
        activity = context.activity
        if is_personal(activity):
            return 0
        read: list[dict[str, Any]] = []
        try:
            if members is not None:
                for member in members:
                    read.append(_member(await TeamsInfo.get_member(context, member.id)))
            else:
                token: str | None = None
                for _ in range(PAGES):
                    page = await TeamsInfo.get_paged_members(context, token, PAGE)
                    read += [_member(m) for m in page.members or []]
                    token = page.continuation_token
                    if not token:
                        break
        except Exception:  # the roster is a help, not a need: people are still learnt as they write
            log.warning("reading the Teams roster of %s failed", activity.conversation.id if activity.conversation
                        else "?", exc_info=True)
        people = [m for m in read if m["aad"] and m["user_id"]]
        reference = json.dumps(TurnContext.get_conversation_reference(activity).serialize())
        for start in range(0, len(people), PAGE):
            await self.app.run(Command(actor=self.actor(activity), action="roster", fields={
                "members": json.dumps(people[start:start + PAGE]), "reference": reference,
                "tenant": tenant_of(activity) or "", "service_url": activity.service_url or "",
                "team": team_of(activity) or ""}), deliver=True)
        return len(people)

    async def forget(self, context: TurnContext) -> None:
        """The bot was uninstalled from this conversation, or removed from this team or chat: the references
        that came through it go, so that later messages wait for a new way in (and the admins hear)."""
        activity = context.activity
        conversation = activity.conversation.id if activity.conversation else None
        team = team_of(activity)
        await self.app.run(Command(actor=self.actor(activity), action="forget",
                                   fields={"conversation": conversation or "", "team": team or ""}))
        self.references.clear()  # a reinstall must be written again, whichever conversation it uses
        log.info("Teams: the bot left conversation %s%s; its references were dropped", conversation,
                 f" (team {team})" if team else "")

    async def refused(self, key: str) -> None:
        """Teams refused a message to this person or channel (403: the bot was blocked or removed)."""
        await self.app.run(Command(actor=Actor(identity="system:teams"), action="forget", fields={"key": key}))
        self.references.pop(key, None)


def _member(member: Any) -> dict[str, str]:
    return {"user_id": str(getattr(member, "id", "") or ""), "aad": str(getattr(member, "aad_object_id", "") or ""),
            "email": str(getattr(member, "email", None) or getattr(member, "user_principal_name", None) or ""),
            "name": str(getattr(member, "name", "") or "")}
