"""What "overdue" means, said once: a live, unsnoozed item whose acknowledgement is late (while it is open)
or whose resolution is late. Python asks it of one item; SQL asks it of the ledger, with the same rule."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, case, or_

from storage.models import LIVE, PainPoint


class Clocked(Protocol):
    """What the clocks are read from: a pain point, or the few columns of one a reminder reads."""

    @property
    def status(self) -> str: ...
    @property
    def ack_due_at(self) -> datetime: ...
    @property
    def resolve_due_at(self) -> datetime: ...


def running(item: Clocked) -> tuple[str, datetime] | None:
    """The clock that runs on an item now: ('ack', due) while open, ('resolve', due) once acknowledged."""
    if item.status == "open":
        return "ack", item.ack_due_at
    if item.status == "acknowledged":
        return "resolve", item.resolve_due_at
    return None


def is_overdue(item: PainPoint, now: datetime) -> bool:
    """Past a due time, and neither snoozed nor waiting (a wait pauses the clock: handlers.waiting)."""
    if item.status not in LIVE or (item.snoozed_until and item.snoozed_until > now) or item.waiting_on:
        return False
    return (item.status == "open" and item.ack_due_at < now) or item.resolve_due_at < now


def clause(now: datetime) -> ColumnElement[bool]:
    """is_overdue, as a condition on the pain_points table."""
    return and_(PainPoint.status.in_(LIVE), PainPoint.waiting_on.is_(None),
                or_(PainPoint.snoozed_until.is_(None), PainPoint.snoozed_until <= now),
                or_(and_(PainPoint.status == "open", PainPoint.ack_due_at < now), PainPoint.resolve_due_at < now))


def late_clock(now: datetime) -> tuple[ColumnElement[str], ColumnElement[datetime]]:
    """For an overdue item in SQL: which clock is late ('ack' or 'resolve') and when it was due."""
    ack_late = and_(PainPoint.status == "open", PainPoint.ack_due_at < now)
    return (case((ack_late, "ack"), else_="resolve"),
            case((ack_late, PainPoint.ack_due_at), else_=PainPoint.resolve_due_at))
