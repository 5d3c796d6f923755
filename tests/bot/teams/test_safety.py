"""Teams: authentication, duplicate deliveries, refusals, hostile text, unreachable people, and valid cards."""
from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot import server
from bot.app import create_app
from messages.render import TeamsRenderer
from storage import outbox
from storage.models import Event, PainPoint
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.harness import ORG, Teams, cards, valid_card
from tests.ledger import TEXTS, Database, everything


async def count(teams: Teams, table: type) -> int:
    async with teams.app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_with_an_app_id_requests_need_a_valid_token(database: Database, connector: FakeConnector) -> None:
    from bot.settings import Settings

    settings = Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG), MICROSOFT_APP_ID="11111111-aaaa",
                        MICROSOFT_APP_PASSWORD="not-a-real-secret")
    app = create_app(settings, schema=database.schema)
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        teams = Teams(client, app, connector)
        activity = teams.activity("sam", text="log Invoice is wrong")
        missing = await client.post("/api/messages", json=activity)
        assert missing.status == 401
        forged = await client.post("/api/messages", json=activity, headers={"Authorization": "Bearer abc.def.ghi"})
        assert forged.status == 401
        assert await count(teams, PainPoint) == 0
        assert connector.calls == []


async def test_teams_is_off_without_an_app_id_or_emulator_flag(database: Database) -> None:
    from bot.settings import Settings

    app = create_app(Settings(DATABASE_URL=database.url, CX_ORG_FILE=str(ORG)), schema=database.schema)
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        response = await client.post("/api/messages", json={"type": "message", "text": "hi"})
        assert response.status in (404, 405)


async def test_emulator_mode_refuses_a_bogus_token_and_garbage(teams: Teams) -> None:
    bogus = await teams.post(teams.activity("sam", text="log Invoice wrong"), headers={"Authorization": "Bearer x"})
    assert bogus.status == 401
    garbage = await teams.client.post("/api/messages", data=b"{not json", headers={"Content-Type": "application/json"})
    assert garbage.status == 400
    assert (await teams.client.post("/api/messages", json=[1, 2])).status == 400
    assert await count(teams, PainPoint) == 0


async def test_the_same_activity_twice_acts_once(teams: Teams) -> None:
    await teams.say("sam", "log Invoice is wrong", activity_id="dup-1")
    await teams.say("sam", "log Invoice is wrong", activity_id="dup-1")
    assert await count(teams, PainPoint) == 1
    await teams.submit("dana", {"cx": "ack", "ref": "CX-1"}, activity_id="click-1")
    await teams.submit("dana", {"cx": "ack", "ref": "CX-1"}, activity_id="click-1")
    assert await count(teams, Event) == 2
    await teams.submit("dana", {"cx": "ack", "ref": "CX-1"}, activity_id="click-2")  # an old card's button
    assert await count(teams, Event) == 2
    assert "Nothing to acknowledge" in str(teams.connector.sent("reply")[-1])


async def test_someone_else_cannot_resolve(teams: Teams) -> None:
    await teams.say("sam", "log Invoice is wrong")
    await teams.submit("lee", {"cx": "resolve", "ref": "CX-1", "resolve_note": "done"})
    assert "Only Billing's owners and reps" in str(teams.connector.sent("reply")[-1])
    assert teams.connector.sent("update") == []
    async with teams.app.db.transaction() as session:
        assert (await session.get_one(PainPoint, 1)).status == "open"


async def test_other_tenants_are_refused(teams: Teams) -> None:
    await teams.say("sam", "log Invoice is wrong", tenant="tenant-evil")
    assert await count(teams, PainPoint) == 0
    assert "not part of the organisation" in str(teams.connector.sent("reply")[-1])


async def test_unknown_input_gets_help(teams: Teams) -> None:
    await teams.say("sam", "frobnicate")
    assert "Type 'help'" in str(teams.connector.sent("reply")[-1])
    await teams.say("sam", "help")
    assert "what you own and what you reported" in str(teams.connector.sent("reply")[-1])


async def test_hostile_text_is_escaped_in_cards(teams: Teams) -> None:
    await teams.say("dana", "mine")
    await teams.say("sam", 'log [click me](https://evil.example) **urgent** <at>Everyone</at> "}]} dept=billing')
    await teams.app.outbox.run_once()
    [owner] = [b for b in teams.connector.sent("send") if "personal-dana" in str(b.get("conversation"))]
    card = cards(owner)[0]
    valid_card(card)
    texts = " ".join(b.get("text", "") for b in card["body"] if b.get("type") == "TextBlock")
    assert "\\[click me\\]\\(https://evil.example\\)" in texts and "\\*\\*urgent\\*\\*" in texts
    assert "entities" not in owner or not owner["entities"]  # no mention can be forged


async def test_someone_the_bot_cannot_reach_is_reported_to_the_admins(teams: Teams) -> None:
    await teams.say("admin", "mine")  # the admin has opened the bot
    await teams.say("sam", "log Refund missing for order 77")  # Dana owns it but never opened the bot
    await teams.app.outbox.run_once()
    await teams.app.outbox.run_once()
    async with teams.app.db.transaction() as session:
        rows = await outbox.listing(session=session)
    waiting = [r for r in rows if r.status == "waiting"]  # held until Dana can be reached
    assert [(r.recipient, r.template) for r in waiting] == [("teams:aad-dana", "assignment")]
    assert "have not opened the bot" in (waiting[0].last_error or "")
    to_admin = [b for b in teams.connector.sent("send") if "personal-admin" in str(b.get("conversation"))]
    assert "couldn't reach Dana" in str(to_admin[-1]) or "couldn" in str(to_admin[-1])


async def test_a_person_seen_in_a_team_gets_a_new_one_to_one_chat(teams: Teams) -> None:
    await teams.post(teams.activity("dana", text="mine", personal=False, conversation="19:billing@thread.tacv2",
                                    channel="19:billing@thread.tacv2"))
    await teams.say("sam", "log Refund missing for order 77")
    assert await teams.app.outbox.run_once() == 1
    [created] = teams.connector.sent("create")
    assert created["members"] == [{"id": "29:dana"}]
    assert created["channelData"] == {"tenant": {"id": "tenant-acme"}}
    assert any(c[0] == "send" and c[1].startswith("a:new-") for c in teams.connector.calls)
    from storage import conversations

    async with teams.app.db.transaction() as session:
        ref = await conversations.get(session=session, key="teams:aad-dana")
    assert ref is not None and ref.personal and ref.reference["conversation"]["id"].startswith("a:new-")


@pytest.mark.parametrize("kind", sorted(TEXTS))
async def test_every_card_is_valid_adaptive_card_1_5(app: Any, kind: str) -> None:
    renderer = TeamsRenderer()
    rendered = await everything(app, *TEXTS[kind])
    for name, data in rendered:
        if name in ("check", "home"):
            continue
        if name == "log_form":
            data = {**data, "prefill": {"summary": TEXTS[kind][0], "details": TEXTS[kind][1],
                                        "customer": TEXTS[kind][2], "source": "https://x/y"},
                    "errors": {"summary": TEXTS[kind][0]}}
        card = renderer.card(name, data, tz="Asia/Tokyo")
        valid_card(card)
        import json

        assert len(json.dumps(card).encode()) <= TeamsRenderer.LIMIT
        if kind == "hostile":
            assert "](https://x|y)" not in json.dumps(card)


async def test_huge_details_are_cut_to_fit_a_teams_message() -> None:
    item: dict[str, Any] = {"ref": "CX-1", "department": "Billing", "severity": "high", "stage": "billing",
            "summary": "S" * 200,
            "details": "é" * 4000, "reporter_name": "Sam", "owner_name": "Dana", "status_text": "open",
            "due": None, "customer_ref": None, "affected": 0, "snoozed_until": None, "actions": []}
    card = TeamsRenderer().card("updated", {"item": item, "action": "comment", "by": "x" * 80, "note": "ü" * 4000,
                                           "headline": "Comment added to CX-1.", "note_label": "Comment"})
    valid_card(card)
    import json

    assert len(json.dumps(card, ensure_ascii=False).encode()) <= TeamsRenderer.LIMIT


async def test_a_lone_surrogate_in_a_teams_message_gets_a_clear_reply(teams: Teams) -> None:
    response = await teams.say("sam", "log Invoice \ud800 is broken")
    assert response.status in (200, 201)  # main: a traceback, and the person heard nothing
    [reply] = teams.connector.sent("reply")
    assert "control characters" in str(cards(reply)[0])
    assert await count(teams, PainPoint) == 0


async def test_a_burst_of_activities_is_worked_a_few_at_a_time(teams: Teams) -> None:
    """Each turn holds botbuilder's own clients for it (built anew per activity): a burst is worked TURNS at a
    time, the rest waiting their turn (main: all at once, and the server grew for good), and every one of them
    is answered in the end."""
    import asyncio

    from bot.teams.route import TURNS

    assert teams.app.teams is not None
    turns = teams.app.teams.route.turns
    teams.connector.held = asyncio.Event()
    burst = 2 * TURNS
    posts = [asyncio.ensure_future(teams.say("sam", "help")) for _ in range(burst)]
    for _ in range(10_000):  # until every activity is in: replying to the connector, or waiting its turn
        if teams.connector.waiting + len(turns._waiters or ()) >= burst:
            break
        await asyncio.sleep(0)
    assert teams.connector.waiting == TURNS
    teams.connector.held.set()
    answers = await asyncio.gather(*posts)
    assert all(a.status in (200, 201) for a in answers)
    assert len(teams.connector.sent("reply")) == burst


async def test_an_invoke_is_answered_while_a_burst_waits_its_turn(teams: Teams) -> None:
    """An invoke (the message action's form, say) must be answered within seconds or Teams shows an error: it does
    not queue behind the messages being worked a few at a time (main: it waited for a turn like any message)."""
    import asyncio

    from bot.teams.route import TURNS

    assert teams.app.teams is not None
    turns = teams.app.teams.route.turns
    teams.connector.held = asyncio.Event()
    posts = [asyncio.ensure_future(teams.say("sam", "help")) for _ in range(2 * TURNS)]
    for _ in range(10_000):
        if teams.connector.waiting + len(turns._waiters or ()) >= 2 * TURNS:
            break
        await asyncio.sleep(0)
    assert teams.connector.waiting == TURNS  # every turn is taken, and as many wait for one
    fetch = asyncio.ensure_future(teams.post(teams.activity(
        "sam", kind="invoke", name="composeExtension/fetchTask",
        value={"commandId": "logPainPoint", "commandContext": "message",
               "messagePayload": {"body": {"content": "<p>Invoice PDF is blank</p>"}}})))
    for _ in range(100_000):  # the loop's turns, not time: the invoke goes through while the burst is held
        if fetch.done():
            break
        await asyncio.sleep(0)
    answered = fetch.done()
    teams.connector.held.set()
    await asyncio.gather(*posts, fetch)
    assert answered, "the invoke waited behind the burst"
    assert fetch.result().status == 200
    assert "task" in await fetch.result().json()
