"""The console door end to end: what a person types and reads, and what others receive."""
from __future__ import annotations

import io

from bot.app import App
from bot.console import Console

SCRIPT = """\
log Customer charged twice on invoice 8812 severity=high customer=ACME
/as local:dana
mine
ack CX-1
resolve CX-1 Refunded the duplicate charge; fixed the nightly billing job.
/as local:lee
resolve CX-1 me too
/as local:sam
fixed CX-1
show CX-1
frobnicate
log
/quit
log never reached
"""


async def test_console_walks_the_whole_loop(app: App) -> None:
    out = io.StringIO()
    console = Console(app, identity="local:sam", out=out)
    await console.loop(io.StringIO(SCRIPT))
    text = out.getvalue()
    assert 'Logged CX-1 "Customer charged twice on invoice 8812" and sent it to Billing (owner: Dana)' in text
    assert "── Dana (local:dana) receives ──\n  New customer pain point for Billing." in text
    assert "CX-1 · Billing · high · billing stage · reported by Sam · ack due in 4h" in text
    assert "[Acknowledge: ack CX-1]" in text
    assert "CX-1 acknowledged by Dana." in text
    assert "── Sam (local:sam) receives ──\n  Dana (Billing) acknowledged CX-1" in text
    assert ('CX-1 is resolved by Dana (Billing): "Refunded the duplicate charge; fixed the nightly billing job."'
            in text)
    assert "Did this fix it? [Yes: fixed CX-1]" in text
    assert "Only Billing's owners and reps" in text  # Lee may not resolve Billing's item
    assert "confirmed that your fix for CX-1" in text
    assert "History:" in text and "resolved by Dana: Refunded the duplicate charge" in text
    assert "I don't know 'frobnicate'. Type 'help'" in text
    assert "The summary is empty." in text
    assert "Logged CX-2" not in text


async def test_console_refuses_to_become_a_platform_user(app: App) -> None:
    out = io.StringIO()
    console = Console(app, out=out)
    await console.line("/as slack:U0ADMIN")
    assert console.identity == "local:sam"
    assert "Switch to a local person" in out.getvalue()
