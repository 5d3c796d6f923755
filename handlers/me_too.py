"""Me too: another employee is affected; the count rises instead of a duplicate being logged."""
from __future__ import annotations

from handlers import act, notify, text
from handlers.base import Command, Context, Outcome, Reply
from handlers.views import item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, _ = await act.prepare(cmd, ctx, "metoo")
    customer = text.line(cmd.fields.get("customer"), label="customer reference", limit=200)
    redirected = None
    if item.status == "duplicate" and item.duplicate_of_id:
        redirected = item.ref
        original = await pain_points.get(session=ctx.session, ref=str(item.duplicate_of_id), lock=True)
        assert original is not None  # a foreign key keeps duplicate_of_id pointing at a real item
        item = original
    if item.reporter == who.identity:  # one customer per person on an item: another is not quietly dropped
        other = customer if customer and customer.lower() != (item.customer_ref or "").lower() else None
        return Outcome(replies=[Reply("me_too", {"item": await item_view(ctx, item), "already": "reporter",
                                                 "customer": other})])
    now = ctx.clock.now()
    added = await pain_points.add_affected(session=ctx.session, item=item, person=who.identity or "",
                                           customer_ref=customer, at=now)
    if not added and not customer:
        return Outcome(replies=[Reply("me_too", {"item": await item_view(ctx, item), "already": "affected"})])
    await pain_points.record(session=ctx.session, item=item, action="me_too", actor=who.identity or "", at=now,
                             note=customer, customer=customer)
    view = await item_view(ctx, item)
    notices = await notify.send(ctx, await notify.owners_of(ctx, item), "affected",
                                {"item": view, "by": who.display_name, "customer": customer},
                                skip=[who.identity]) if added else []
    return Outcome(replies=[Reply("me_too", {"item": view, "already": None, "redirected": redirected})],
                   notices=notices)
