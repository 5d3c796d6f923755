"""`find <words> [customer=..] [dept=..] [status=..]`: the best matches among the pain points the asker may see,
ranked by the database's own full-text search (storage.search), so that a pain already logged is found, not
logged again."""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, true

from handlers import access
from handlers.base import Command, Context, Outcome, Refusal
from handlers.views import STATUS, list_view
from storage import board, pain_points, search
from storage.models import LIVE, PainPoint

SHOWN = 10
STATUSES = {"live": LIVE, "open": ("open",), "acknowledged": ("acknowledged",), "resolved": ("resolved",),
            "declined": ("declined",), "closed": ("resolved", "declined"), "duplicate": ("duplicate",)}


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who = await access.register(ctx, cmd.actor)
    phrase = (cmd.fields.get("words") or "").strip()[:300]
    if not search.words_of(phrase):
        raise Refusal("Find what? Give a few words: find refund missing [customer=ACME] [dept=billing] "
                      "[status=live].", field="words")
    where: list[ColumnElement[bool]] = [true()]
    if cmd.fields.get("customer"):
        where.append(board.customer_is(cmd.fields["customer"].strip()[:200]))
    if cmd.fields.get("department"):
        where.append(PainPoint.department_id == (await access.department(ctx, cmd.fields["department"])).id)
    status = (cmd.fields.get("status") or "").strip().lower()
    if status:
        if status not in STATUSES:
            raise Refusal(f"status={status[:20]} is not one I know: {', '.join(STATUSES)}.", field="status")
        where.append(PainPoint.status.in_(STATUSES[status]))
    ids = await search.find(session=ctx.session, phrase=phrase, where=and_(*where), limit=SHOWN * 3)
    found = await pain_points.these(session=ctx.session, ids=ids)
    shown = (await access.visible(ctx, who, found))[:SHOWN]
    return Outcome.reply("found", words=phrase, items=await list_view(ctx, shown),
                         statuses={k: STATUS.get(k, k) for k in STATUSES})
