""""Did this fix it?" as a 1-5 rating with an optional comment, from the people who raised the item. "Yes" is one
click (a 5); a low rating (1 or 2) offers to reopen it with the comment as the reason. One rating per person per
resolution: answering again changes it. The owners hear each rating."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement

from handlers import act, notify, reopen, text
from handlers.base import Command, Context, Notice, Outcome, Refusal
from handlers.views import item_view
from storage import pain_points, ratings
from storage.models import PainPoint, Person

LOW = 2  # a rating this low or lower offers to reopen
RATING = re.compile(r"^([1-5])(?:/5)?$")  # "4", or "4/5"


async def record(ctx: Context, who: Person, item: PainPoint, rating: int, comment: str | None) -> list[Notice]:
    """Give or change this person's rating of the item's latest resolution; the owners hear of it (unless it
    is unchanged)."""
    assert item.resolved_at is not None
    before = await ratings.give(session=ctx.session, item_id=item.id, person=who.identity or "",
                                resolved_at=item.resolved_at, rating=rating, comment=comment, at=ctx.clock.now())
    if before == (rating, comment):
        return []
    await pain_points.record(session=ctx.session, item=item, action="rate", actor=who.identity or "",
                             at=ctx.clock.now(), note=comment, rating=rating, before=before[0] if before else None)
    view = await item_view(ctx, item)
    return await notify.send(ctx, await notify.owners_of(ctx, item), "rated",
                             {"item": view, "by": who.display_name, "rating": rating, "comment": comment,
                              "before": before[0] if before else None}, skip=[who.identity])


async def rate(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "rate")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    given = RATING.match((cmd.fields.get("rating") or "").strip())
    if given is None:
        raise Refusal(f"Rate the fix from 1 (not fixed) to 5 (fixed): rate {item.ref} 4 <comment>.", field="rating")
    rating = int(given.group(1))
    comment = text.block(cmd.fields.get("comment"), label="comment", field="comment", limit=2000)
    notices = await record(ctx, who, item, rating, comment)
    outcome = await act.done(ctx, item, who, taken, notices)
    reply = outcome.replies[0].data
    if rating <= LOW:
        reply["headline"] = (f"Sorry it isn't fixed, {who.display_name}: you rated {item.ref} {rating} of 5."
                             + (" Reopen it with your comment as the reason?" if comment else
                                f" To reopen it, say what is still wrong: reopen {item.ref} <what>."))
        offered = act.action("unfixed" if comment else "reopen")
        reply["item"]["actions"] = [offered.view(item.ref, "raisers")]
    else:
        reply["headline"] = f"Thanks, {who.display_name}: you rated the fix for {item.ref} {rating} of 5."
        reply["item"]["actions"] = []
    return outcome


async def unfixed(cmd: Command, ctx: Context) -> Outcome:
    """Reopen with the comment of one's own low rating as the reason (the button a low rating offers)."""
    who, item, taken = await act.prepare(cmd, ctx, "unfixed")
    if not act.applies(taken, item) or item.resolved_at is None:
        return await act.current_state(ctx, item, taken.verb)
    mine = await ratings.mine(session=ctx.session, item_id=item.id, person=who.identity or "",
                              resolved_at=item.resolved_at)
    if mine is None or mine[0] > LOW or not mine[1]:
        raise Refusal(f"Say what is still wrong: reopen {item.ref} <what>.")
    return await reopen.handle(replace(cmd, action="reopen", fields={"reason": mine[1]}), ctx)


def share(found: ratings.Rated | None) -> dict[str, Any] | None:
    """"4.3 of 5 (6 ratings)"."""
    return None if found is None else {"average": round(found.average, 1), "count": found.count}


async def by_department(ctx: Context, start: datetime, end: datetime, where: ColumnElement[bool]
                        ) -> tuple[dict[int, dict[str, Any] | None], dict[str, Any] | None]:
    """The ratings given in the period: per department, and in all."""
    found = await ratings.rated(session=ctx.session, start=start, end=end, where=where, by=PainPoint.department_id)
    every = ratings.Rated(sum(r.count for r in found.values()), sum(r.total for r in found.values()))
    return {d: share(r) for d, r in found.items()}, share(every) if every.count else None
