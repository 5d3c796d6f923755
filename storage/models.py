"""The ledger's tables: pain points, their history, departments, people, and the outbox."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

LIVE = ("open", "acknowledged")  # the statuses of a pain point somebody still has to act on


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which forgets the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    # platform identity: slack:U123, teams:<aadObjectId>, local:name; None while known only by email
    identity: Mapped[str | None] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_leader: Mapped[bool] = mapped_column(default=False)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lead: Mapped[str | None] = mapped_column(String(320))
    keywords: Mapped[list[str]] = mapped_column(default=list)
    slack_channel: Mapped[str | None] = mapped_column(String(64))
    teams_channel: Mapped[str | None] = mapped_column(String(200))
    triage: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # deleted: out of lists and routing

    members: Mapped[list[Member]] = relationship(
        back_populates="department", cascade="all, delete-orphan", order_by="Member.id", lazy="selectin"
    )

    def named(self, role: str) -> list[str]:
        return [m.person for m in self.members if m.role == role]


class Member(Base):
    """A department's owner or rep, named by platform identity or by email."""

    __tablename__ = "department_members"
    __table_args__ = (UniqueConstraint("department_id", "person", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    person: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))  # owner | rep

    department: Mapped[Department] = relationship(back_populates="members")


class PainPoint(Base):
    __tablename__ = "pain_points"
    __table_args__ = (
        Index("ix_pain_points_status_ack_due", "status", "ack_due_at"),
        Index("ix_pain_points_status_resolve_due", "status", "resolve_due_at"),
        Index("ix_pain_points_department_created", "department_id", "created_at"),
        # the digest's week windows
        Index("ix_pain_points_created", "created_at"),
        Index("ix_pain_points_acknowledged", "acknowledged_at"),
        Index("ix_pain_points_resolved", "resolved_at"),
        # and what the digest counts of the items open at a week's end, read from the index alone (0018, 0019)
        Index("ix_pain_points_closed", "closed_at", "department_id", "created_at", "acknowledged_at", "ack_due_at",
              "resolve_due_at", "waiting_since"),
        Index("ix_pain_points_source_url", "source_url"),  # a chat message is logged once
        # the few items waiting (the digest's count, the sweep's ended waits), never a pass over the live ones
        Index("ix_pain_points_waiting", "waiting_on", "waiting_until", sqlite_where=text("waiting_on IS NOT NULL"),
              postgresql_where=text("waiting_on IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summary: Mapped[str] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    reporter: Mapped[str] = mapped_column(String(320), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    owner: Mapped[str | None] = mapped_column(String(320), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # LIVE, or resolved | declined | duplicate
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("pain_points.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ack_due_at: Mapped[datetime]
    resolve_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    cause_category: Mapped[str | None] = mapped_column(String(64))  # one of the org's root causes
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # only its reporter (and those who said "me too"), its department and admins see it (handlers.access.sees)
    restricted: Mapped[bool] = mapped_column(default=False, server_default=false())
    # its SLA clock is paused while it waits: on "customer", or on another team (named); until a date, or until
    # someone ends the wait; `waited_seconds`: the working time spent waiting so far, in all
    waiting_on: Mapped[str | None] = mapped_column(String(200))
    waiting_since: Mapped[datetime | None]
    waiting_until: Mapped[datetime | None]
    waiting_note: Mapped[str | None] = mapped_column(Text)
    waited_seconds: Mapped[int] = mapped_column(default=0, server_default="0")

    department: Mapped[Department] = relationship(lazy="joined")
    # the people who said "me too"; read with the item where it is acted on (storage.pain_points.affected)
    affected_rows: Mapped[list[Affected]] = relationship(order_by="Affected.id")
    # the reporter and the owner known by identity, read with the item where it is acted on (None otherwise)
    reporter_person: Mapped[Person | None] = relationship(
        primaryjoin="foreign(PainPoint.reporter) == Person.identity", viewonly=True, lazy="raise")
    owner_person: Mapped[Person | None] = relationship(
        primaryjoin="foreign(PainPoint.owner) == Person.identity", viewonly=True, lazy="raise")

    @property
    def ref(self) -> str:
        return f"CX-{self.id}"


class Event(Base):
    """Append-only history: one row per change, with who, when and the note."""

    __tablename__ = "pain_point_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    pain_point_id: Mapped[int] = mapped_column(ForeignKey("pain_points.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Snooze(Base):
    """A stretch of time an item was quiet: from its snooze until the time asked, or until it ended sooner (a
    new snooze, a reassignment, its closing). `PainPoint.snoozed_until` says whether it is quiet now; these say
    whether it was at a past moment (a complete week's end, for the digest and the scorecards)."""

    __tablename__ = "snoozes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pain_point_id: Mapped[int] = mapped_column(ForeignKey("pain_points.id"), index=True)
    started_at: Mapped[datetime]
    # a past moment's snoozes are those still to end then: for last week's end, the last few weeks' snoozes
    until: Mapped[datetime] = mapped_column(index=True)


class Affected(Base):
    """An employee who said "me too": they hear back on resolution as the reporter does."""

    __tablename__ = "affected"
    __table_args__ = (UniqueConstraint("pain_point_id", "person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pain_point_id: Mapped[int] = mapped_column(ForeignKey("pain_points.id"), index=True)
    person: Mapped[str] = mapped_column(String(320))
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime]


class OutboxMessage(Base):
    """A notification written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    # who receives it: a person's identity or email, or a channel address "slack-channel:C0BILLING"
    recipient: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class InboundDelivery(Base):
    """A platform delivery already handled (event id, action id): retries and double clicks act once."""

    __tablename__ = "inbound_deliveries"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    at: Mapped[datetime]


class Nudge(Base):
    """One reminder about one overdue item, claimed before it is written to the outbox: never sent twice.

    A cycle is one due time of one kind ('ack' or 'resolve'); `slot` counts the reminders in that cycle, and
    the escalation ladder climbs with it (owner, then also the lead, then also the CX leaders).
    """

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("pain_point_id", "kind", "due_at", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pain_point_id: Mapped[int] = mapped_column(ForeignKey("pain_points.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    slot: Mapped[int]
    level: Mapped[int]  # 0 owner, 1 + department lead, 2 + CX leaders
    owner: Mapped[str | None] = mapped_column(String(320))
    at: Mapped[datetime]


class DigestSent(Base):
    """One digest for one period and destination, claimed before it is written to the outbox."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("period", "destination"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(32))  # 2026-W48 (leadership's), or 2026-W48/<department id>
    destination: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]


class ConversationRef(Base):
    """Where the bot can reach a person or channel proactively on a platform (Teams: a serialised reference)."""

    __tablename__ = "conversation_refs"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)  # teams:<aadObjectId> | teams-channel:<id>
    reference: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tenant_id: Mapped[str | None] = mapped_column(String(100))
    service_url: Mapped[str | None] = mapped_column(String(500))
    platform_user_id: Mapped[str | None] = mapped_column(String(200))  # Teams' 29:... id, for a 1:1 chat
    personal: Mapped[bool] = mapped_column(default=False)  # a 1:1 conversation with the bot
    updated_at: Mapped[datetime]
    # where the reference came from: removing the bot from that conversation (or team) drops it
    conversation_id: Mapped[str | None] = mapped_column(String(300), index=True)
    team_id: Mapped[str | None] = mapped_column(String(300), index=True)


class InboxRequest(Base):
    """A request written down before it is answered, and worked on after: a crash between the two loses
    nothing, because a restarted process finishes what is still here."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_waiting", "processed_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # the platform's id for this delivery
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(default=0, server_default="0")  # takings by recovery
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # given up on: see last_error
    last_error: Mapped[str | None] = mapped_column(Text)


class ServerSecret(Base):
    """A secret every replica shares, generated once when the operator sets none (the dashboard's signing key)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class SignIn(Base):
    """A dashboard sign-in link sent to someone: used once, before it expires; the session it started lasts
    until it is signed out (`ended_at`) or runs out."""

    __tablename__ = "sign_ins"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class FollowUp(Base):
    """Someone who raised an item for a customer owes that customer word of what was done: opened when the item
    is resolved or declined (again on each later resolution), answered "told" or "not needed" (with a reason),
    reminded once, at `remind_at` (their next working day, or when they asked to be reminded)."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("pain_point_id", "person"),
                      Index("ix_follow_ups_due", "status", "remind_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    pain_point_id: Mapped[int] = mapped_column(ForeignKey("pain_points.id"), index=True)
    person: Mapped[str] = mapped_column(String(320), index=True)
    customer: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))  # what the customer is to hear: resolved | declined
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | told | not_needed
    note: Mapped[str | None] = mapped_column(Text)  # what they told the customer, or why it was not needed
    opened_at: Mapped[datetime] = mapped_column(index=True)  # the digest's and scorecards' periods
    remind_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class Rating(Base):
    """How well a fix worked, 1-5, from someone who raised the item: one per person per resolution (a second
    answer changes it)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("pain_point_id", "person", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pain_point_id: Mapped[int] = mapped_column(ForeignKey("pain_points.id"), index=True)
    person: Mapped[str] = mapped_column(String(320))
    resolved_at: Mapped[datetime]  # the resolution it rates
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)
