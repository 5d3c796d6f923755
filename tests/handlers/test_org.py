"""The org file: its documented shape loads, mistakes name the field, and loading twice changes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from handlers import org_file
from handlers.org import OrgFileError, load_org
from storage import people
from storage.models import Department, Member, Person
from tests.ledger import say

ROOT = Path(__file__).parents[2]


def test_example_org_file_loads() -> None:
    org = load_org(ROOT / "org.example.toml")
    assert [d.key for d in org.departments] == ["billing", "onboarding", "cx"]
    assert org.departments[2].triage
    assert org.sla_for("high").acknowledge.total_seconds() == 4 * 3600
    assert org.sla_for("critical").acknowledge.total_seconds() == 3600  # a default
    assert org.leaders == ["slack:U0CXO", "cxo@example.com"]
    assert org.digest.slack_channel == "C0LEADERS"
    assert org.slack_log_reaction == "rotating_light"


def test_the_log_reaction_is_an_emoji_name_with_or_without_colons(tmp_path: Path) -> None:
    path = tmp_path / "org.toml"
    path.write_text('slack_log_reaction = ":Rotating_Light:"')
    assert load_org(path).slack_log_reaction == "rotating_light"


@pytest.mark.parametrize(("text", "field"), [
    ('timezone = "Mars/Olympus"', "timezone"),
    ('working_hours = { start = "17:00", end = "09:00" }', "working_hours"),
    ('[sla.high]\nacknowledge = "soon"\nresolve = "3d"', "sla.high.acknowledge"),
    ('[[departments]]\nkey = "Billing Team"\nname = "Billing"', "departments.0.key"),
    ('[[departments]]\nkey = "billing"\nname = "Billing"\nowners = ["dana"]', "departments.0.owners"),
    ('admins = ["nobody"]', "admins"),
    ('slack_log_reaction = "red alert!"', "slack_log_reaction"),
    ('colour = "blue"', "colour"),
    ('[[departments]]\nkey = "a"\nname = "A"\n[[departments]]\nkey = "a"\nname = "B"', "used twice"),
    ('timezone = ', "not valid TOML"),
    ('root_causes = []', "root_causes"),
    ('root_causes = ["' + "x" * 61 + '"]', "root_causes"),
])
def test_invalid_org_file_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "org.toml"
    path.write_text(text)
    with pytest.raises(OrgFileError) as error:
        load_org(path)
    assert field in str(error.value)


def test_root_causes_are_tidied(tmp_path: Path) -> None:
    path = tmp_path / "org.toml"
    path.write_text('root_causes = ["Vendor  Outage", "vendor outage", " ", "Pricing"]')
    assert load_org(path).root_causes == ["vendor outage", "pricing"]


def test_missing_org_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(OrgFileError, match="does not exist"):
        load_org(tmp_path / "nope.toml")


async def counts(app: App) -> tuple[int, int, int]:
    async with app.db.transaction() as session:
        departments, members, persons = [int(await session.scalar(select(func.count()).select_from(t)) or 0)
                                         for t in (Department, Member, Person)]
    return departments, members, persons


async def test_loading_twice_changes_nothing(app: App) -> None:
    before = await counts(app)
    await app.prepare()
    await app.prepare()
    assert await counts(app) == before


async def test_email_named_rep_becomes_their_platform_identity(app: App) -> None:
    await say(app, "local:sam", "log Invoice is late")
    # rita@example.com is a Billing rep in the org file; she shows up in chat with that email
    async with app.db.transaction() as session:
        await people.ensure(session=session, identity="slack:U0RITA", display_name="Rita",
                            email="Rita@Example.com")
    outcome = await say(app, "slack:U0RITA", "ack CX-1", workspace="T0ACME")
    assert outcome.ok
    async with app.db.transaction() as session:
        rita = await people.get(session=session, who="rita@example.com")
        assert rita is not None and rita.identity == "slack:U0RITA"
        assert await session.scalar(select(func.count()).select_from(Person).where(
            Person.email == "rita@example.com")) == 1


async def test_org_roles_follow_the_file(app: App) -> None:
    org = app.org.model_copy(update={"admins": ["local:dana"]})
    async with app.db.transaction() as session:
        await org_file.apply(session=session, org=org)
    async with app.db.transaction() as session:
        admins = [p.identity for p in await people.with_role(session=session, admins=True)]
    assert admins == ["local:dana"]
