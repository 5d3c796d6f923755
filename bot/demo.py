"""A first look that is not empty: a few pain points walked part-way through their life, through the handlers."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from handlers.base import Actor, Command
from storage.models import PainPoint

STORY = [
    ("local:sam", "log", None, {"summary": "Customer charged twice on invoice 8812", "severity": "high",
                                "stage": "billing", "customer": "ACME Ltd"}),
    ("local:raj", "log", None, {"summary": "Welcome email links to a dead setup page", "stage": "onboarding"}),
    ("local:sam", "log", None, {"summary": "Customers can't find how to export their data", "stage": "use",
                                "severity": "low"}),
    ("local:lee", "ack", "CX-2", {}),
    ("local:raj", "metoo", "CX-1", {"customer": "Globex"}),
]


async def seed(app: App) -> bool:
    """Seed the demo story once; False when the ledger already holds pain points."""
    async with app.db.transaction() as session:
        if await session.scalar(select(func.count()).select_from(PainPoint)):
            return False
    for identity, action, ref, fields in STORY:
        outcome = await app.run(Command(actor=Actor(identity=identity), action=action, ref=ref, fields=fields))
        if not outcome.ok:
            raise RuntimeError(f"demo step {action} {ref or ''} was refused: {outcome.replies}")
    return True
