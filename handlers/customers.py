"""`customer ACME`: the account view a customer-facing rep reads before a call: every pain point that customer
hit (as the item's customer or a "me too"'s), open first, with what was done and whether they were told."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from handlers import access, follow_up
from handlers.base import Command, Context, Outcome, Refusal
from handlers.views import list_view
from storage import board, follow_ups, pain_points

SHOWN = 30  # items a reply lists; the rest are counted, and the dashboard lists them all


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who = await access.register(ctx, cmd.actor)
    name = " ".join((cmd.fields.get("name") or "").split())[:200]
    if not name:
        raise Refusal("Which customer? Say part of its name: customer ACME.", field="name")
    found = await access.visible(ctx, who, await pain_points.matching(
        session=ctx.session, where=board.customer_is(name), limit=SHOWN + 1))
    shown = found[:SHOWN]
    told = {row.pain_point_id: row for row in await follow_ups.of_items(
        session=ctx.session, item_ids=[i.id for i in shown]) if name.lower() in row.customer.lower()}
    rows: list[dict[str, Any]] = []
    for item, view in zip(shown, await list_view(ctx, shown), strict=True):
        loop = told.get(item.id)
        customers = {item.customer_ref or ""} | {a.customer_ref or "" for a in await pain_points.affected(
            session=ctx.session, item=item)}
        rows.append({**view, "customers": sorted(c for c in customers if name.lower() in c.lower()),
                     "done": item.resolution_note if item.status == "resolved" else item.decline_reason,
                     "told": follow_up.STATUS.get(loop.status) if loop else None})
    link = ctx.links.page("/items?" + "&".join((f"customer={quote(name)}", "weeks=all"))) if ctx.links else None
    spelled = sorted({c for r in rows for c in r["customers"]})  # as the ledger writes it
    heading = spelled[0] if len(spelled) == 1 else f"{name} ({', '.join(spelled)})" if spelled else name
    return Outcome.reply("customer", name=heading, items=rows, more=len(found) > SHOWN,
                         open=sum(1 for r in rows if r["status"] in ("open", "acknowledged")), dashboard=link)
