"""Resolve: the loop closes. The reporter, everyone affected and the duplicates' reporters hear what was done."""
from __future__ import annotations

from handlers import act, follow_up, notify, text
from handlers.base import Command, Context, Notice, Outcome, Refusal
from handlers.org import cause_name
from handlers.views import item_view
from storage import pain_points


async def handle(cmd: Command, ctx: Context) -> Outcome:
    who, item, taken = await act.prepare(cmd, ctx, "resolve")
    if not act.applies(taken, item):
        return await act.current_state(ctx, item, taken.verb)
    note = text.block(cmd.fields.get("note"), label="resolution note", field="note", limit=4000, required=True)
    cause = text.block(cmd.fields.get("cause"), label="root cause", field="cause", limit=2000)
    category, cause = categorise(ctx.org.root_causes, cmd.fields.get("category"), cause)
    now = ctx.clock.now()
    item.status, item.resolved_at, item.closed_at = "resolved", now, now
    await pain_points.unsnooze(session=ctx.session, item=item, at=now)
    item.resolution_note, item.root_cause, item.cause_category = note, cause, category
    await pain_points.record(session=ctx.session, item=item, action="resolve", actor=who.identity or "", at=now,
                             note=note, root_cause=cause, cause_category=category)
    view = await item_view(ctx, item)
    told: list[str | None] = [who.identity]
    data = {"item": view, "by": who.display_name, "department": item.department.name, "own": None}

    async def tell(whos: list[str], role: str, own: dict[str, str] | None = None) -> list[Notice]:
        """Each person hears once, in their own words: "you said" only to the one who said it."""
        sent = await notify.send(ctx, whos, "resolved", {**data, "role": role, "own": own}, skip=told)
        told.extend(whos)
        return sent

    notices = await tell([item.reporter], "reporter")
    notices += await tell([a.person for a in await pain_points.affected(session=ctx.session, item=item)],
                          "affected")
    for duplicate in await pain_points.duplicates_of(session=ctx.session, item=item):
        own = {"ref": duplicate.ref, "summary": duplicate.summary}
        notices += await tell([duplicate.reporter], "duplicate", own)
        notices += await tell([a.person for a in await pain_points.affected(session=ctx.session, item=duplicate)],
                              "affected")
    notices += (await follow_up.open_for(ctx, item, view))[0]  # the customers they raised it for are to hear
    return await act.done(ctx, item, who, taken, notices, note)


def categorise(causes: list[str], category: str | None, cause: str | None) -> tuple[str | None, str | None]:
    """(root-cause category, the cause in the resolver's words). The category is one of the organisation's, by
    its name or the start of it ("product" is "product defect"); words that begin with one ("policy: refunds
    take 30 days") file it there too. An unknown category is refused, naming the ones there are."""
    if category and category.strip():
        wanted = cause_name(category)
        found = [c for c in causes if c == wanted] or [c for c in causes if c.startswith(wanted)]
        if len(found) != 1:
            raise Refusal(f"{category.strip()[:60]!r} is not one of the root causes here: {', '.join(causes)}. "
                          "Pick one (category=...), and say it in your words with cause=\"...\".", field="category")
        return found[0], cause
    if cause:
        head, _, rest = cause.partition(":")
        named = cause_name(head)
        if named in causes:
            return named, rest.strip() or None
    return None, cause
