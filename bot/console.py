"""The console door: type as any local person, see your replies and the notifications others receive."""
from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

from bot.app import App
from handlers import access, clock
from handlers.base import Actor, Command, Outcome, Refusal
from handlers.parse import parse
from storage import departments, people
from storage.models import OutboxMessage

INTRO = """CX accountability bot, console edition. You are {name} ({identity}).
Type 'help' for commands, '/as local:dana' to become someone else, '/people' to see who is here, '/quit' to leave.
Try:  log Refund for order 5521 still missing after 3 weeks severity=high
And:  /as local:leo, then dashboard: the leaders' view, in your browser"""


def to_command(identity: str, line: str) -> Command | str:
    """A typed line -> a neutral Command, or the reply text for input that is not one."""
    try:
        parsed = parse(line)
    except Refusal as refusal:
        return refusal.message
    return Command(actor=Actor(identity=identity), action=parsed.action, ref=parsed.ref, fields=parsed.fields)


def answer(offered: dict[str, Any], identity: str, line: str) -> Command | str | None:
    """The answer to the numbered prompt of similar items: "2" says me too on the second, "anyway" logs what was
    typed (a number not offered is asked again); anything else is a new command."""
    if identity != offered["by"]:
        return None
    actor = Actor(identity=identity)
    word = line.strip().lower()
    if word in ("anyway", "log anyway", "log it anyway", "log mine anyway"):
        return Command(actor=actor, action=offered["action"], fields=dict(offered["again"]))
    shown = len(offered["suggestions"])
    if word.isdigit() and not 1 <= int(word) <= shown:
        return f"There is no {word[:5]} here: type {'1' if shown == 1 else f'a number from 1 to {shown}'}, or anyway."
    if word.isdigit():
        customer = offered.get("customer")
        return Command(actor=actor, action="metoo", ref=offered["suggestions"][int(word) - 1]["ref"],
                       fields={"customer": customer} if customer else {})
    return None


class Console:
    prefixes = ("local:",)

    def __init__(self, app: App, *, identity: str = "local:sam", out: TextIO | None = None) -> None:
        self.app, self.identity, self.out = app, identity, out or sys.stdout
        self.offered: dict[str, Any] | None = None  # similar items just shown: a number or "anyway" answers them
        app.outbox.add(self)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def reader(self, identity: str) -> tuple[str, str]:
        """A local person's display name and time zone."""
        async with self.app.db.transaction(read_only=True) as session:
            person = await people.get(session=session, who=identity)
        return person.display_name if person else identity, str(clock.zone_of(self.app.org, person))

    async def send(self, message: OutboxMessage, zone: str | None = None) -> None:
        name, tz = await self.reader(message.recipient)
        text = self.app.renderer.render(message.template, message.payload, tz=tz)
        self.say(f"\n  ── {name} ({message.recipient}) receives ──")
        self.say("  " + text.replace("\n", "\n  "))

    async def render(self, outcome: Outcome) -> None:
        _, tz = await self.reader(self.identity)
        for reply in outcome.replies:
            self.say(self.app.renderer.render(reply.template, reply.data, tz=tz))

    async def who(self) -> str:
        return (await self.reader(self.identity))[0]

    async def line(self, line: str) -> bool:
        """Handle one typed line; False when the person asked to leave."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit", "quit", "exit"):
            return False
        if line.startswith("/as"):
            identity = line[3:].strip()
            if not identity.startswith("local:") or len(identity) < 7:
                self.say("Switch to a local person, like: /as local:dana")
                return True
            self.identity = identity
            self.say(f"You are now {await self.who()} ({identity}).")
            return True
        if line in ("/people", "/who"):
            await self.people()
            return True
        offered, self.offered = self.offered, None
        cmd = (answer(offered, self.identity, line) if offered else None) or to_command(self.identity, line)
        if isinstance(cmd, str):
            self.offered = offered if offered and line.strip().isdigit() else None  # still asking
            self.say(cmd)
            return True
        outcome = await self.app.run(cmd)
        await self.render(outcome)
        if outcome.ok and outcome.replies and outcome.replies[0].template == "similar":
            self.offered = {**outcome.replies[0].data, "by": cmd.actor.identity}
        await self.app.outbox.run_once()
        return True

    async def people(self) -> None:
        async with self.app.db.transaction() as session:
            everyone = [p for p in await people.with_role(session=session) if p.identity]
            homes = {p.identity: [d.name for d in await departments.of_person(
                session=session, handles=access.handles(p))] for p in everyone}
        for person in everyone:
            roles = [r for r, on in (("admin", person.is_admin), ("leader", person.is_leader)) if on]
            roles += homes[person.identity or ""]
            self.say(f"  {person.identity:<14} {person.display_name:<12} {', '.join(roles)}")

    async def loop(self, stdin: TextIO | None = None) -> None:
        stdin = stdin or sys.stdin
        self.say(INTRO.format(name=await self.who(), identity=self.identity))
        await self.app.outbox.run_once()
        interactive = stdin.isatty()
        while True:
            if interactive:
                print(f"\n{self.identity}> ", end="", file=self.out, flush=True)
            raw = await asyncio.get_running_loop().run_in_executor(None, stdin.readline)
            if not raw:
                break
            if not interactive:
                self.say(f"\n{self.identity}> {raw.rstrip()}")
            if not await self.line(raw):
                break
        self.say("Bye.")
