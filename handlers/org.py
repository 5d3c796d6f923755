"""The organisation's settings from its org file (TOML): time zone, working hours, SLAs, stages, people."""
from __future__ import annotations

import re
import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SEVERITIES = ("low", "medium", "high", "critical")
# why things went wrong, as a resolver files it: the dashboard counts each per stage and department
DEFAULT_CAUSES = ["process", "product defect", "policy", "training", "communication", "third party", "other"]


def cause_name(text: str) -> str:
    """A root cause as the org file and a resolver write it, compared: lower case, single spaces."""
    return " ".join(text.split()).lower()


DEFAULT_STAGES = ["marketing", "sales", "onboarding", "delivery", "use", "support", "billing", "other"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
IDENTITY = re.compile(r"^(slack:[A-Z0-9]+|teams:[\w\-:.]+|local:[\w\-.]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")


class OrgFileError(Exception):
    """An org file that cannot be used; the message names the file and the field."""


def duration_field(value: object) -> object:
    """An org-file duration: text with a unit ("14d", "4h"); a bare number is refused, not read as seconds."""
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # a ValueError, as pydantic reports those beside the field (a TypeError would escape as a crash)
        raise ValueError(f"{value!r} has no unit: write it as \"{value}d\", \"{value}h\" or \"{value}m\"")  # noqa: TRY004
    return value


def parse_duration(text: str) -> timedelta:
    """'30m', '4h', '3d', '2w' -> timedelta (days and weeks are working days when counted by the SLA)."""
    match = DURATION.match(text.lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30m, 4h, 3d or 2w")
    amount, unit = float(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount),
            "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]


def _identity(value: str) -> str:
    value = value.strip()
    if not IDENTITY.match(value):
        raise ValueError(
            f"{value!r} is not a person: use slack:U123, teams:<aadObjectId>, local:name or an email address")
    return value.lower() if "@" in value and ":" not in value else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkingHours(Strict):
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["mon", "tue", "wed", "thu", "fri"]
    holidays: list[date] = []  # days off: no working time at all (the org's, a department's, a person's)

    @model_validator(mode="after")
    def _order(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not self.days:
            raise ValueError("days must name at least one day")
        return self

    @property
    def weekdays(self) -> set[int]:
        return {DAYS.index(d) for d in self.days}

    @property
    def days_off(self) -> frozenset[date]:
        return frozenset(self.holidays)

    def with_holidays(self, *more: list[date]) -> WorkingHours:
        """These hours, with more days off."""
        extra = {d for days in more for d in days} - set(self.holidays)
        return self.model_copy(update={"holidays": sorted({*self.holidays, *extra})}) if extra else self

    @property
    def length(self) -> timedelta:
        return timedelta(hours=self.end.hour - self.start.hour, minutes=self.end.minute - self.start.minute)


class Sla(Strict):
    acknowledge: timedelta
    resolve: timedelta

    @field_validator("acknowledge", "resolve", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return duration_field(value)


DEFAULT_SLA = {
    "critical": Sla(acknowledge=timedelta(hours=1), resolve=timedelta(days=1)),
    "high": Sla(acknowledge=timedelta(hours=4), resolve=timedelta(days=3)),
    "medium": Sla(acknowledge=timedelta(days=1), resolve=timedelta(days=7)),
    "low": Sla(acknowledge=timedelta(days=3), resolve=timedelta(days=30)),
}


class Digest(Strict):
    weekly: str = "mon 09:00"  # "<day> HH:MM" in the org's time zone, or a five-field cron "0 9 * * mon"
    slack_channel: str | None = None
    teams_channel: str | None = None
    departments: bool = True  # each department also gets its own digest (its channel, else its owners)

    @field_validator("weekly", mode="after")
    @classmethod
    def _when(cls, value: str) -> str:
        cron_fields(value)
        return value


def cron_fields(value: str) -> dict[str, str]:
    """'mon 09:00' or '0 9 * * mon' -> APScheduler CronTrigger fields."""
    parts = value.split()
    if len(parts) == 2 and parts[0].lower()[:3] in DAYS and re.fullmatch(r"\d{1,2}:\d{2}", parts[1]):
        hour, minute = parts[1].split(":")
        if int(hour) < 24 and int(minute) < 60:
            return {"day_of_week": parts[0].lower()[:3], "hour": hour, "minute": minute}
    if len(parts) == 5:
        return dict(zip(("minute", "hour", "day", "month", "day_of_week"), parts, strict=True))
    raise ValueError(f"{value!r} is not a time like 'mon 09:00' or a cron like '0 9 * * mon'")


class Nudges(Strict):
    every: timedelta = timedelta(minutes=5)  # how often the sweep runs
    cadence: timedelta = timedelta(days=1)  # working time between reminders about one item ("1d": daily)
    lead_after: int = Field(2, ge=1)  # unanswered reminders before the department lead hears too
    leaders_after: int = Field(4, ge=1)  # ... and before the CX leaders do
    # the owner is told once when this share of an item's SLA has run (0: never), before any nudge
    warn_at: float = Field(0.8, ge=0, lt=1)

    @field_validator("every", "cadence", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return duration_field(value)


class DepartmentSpec(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    owners: list[str] = []
    reps: list[str] = []
    lead: str | None = None
    keywords: list[str] = []
    slack_channel: str | None = None
    teams_channel: str | None = None
    triage: bool = False
    holidays: list[date] = []  # the department's own closures, beside the organisation's holidays

    @field_validator("owners", "reps", mode="after")
    @classmethod
    def _people(cls, value: list[str]) -> list[str]:
        return [_identity(v) for v in value]

    @field_validator("lead", mode="after")
    @classmethod
    def _lead(cls, value: str | None) -> str | None:
        return _identity(value) if value else None

    @field_validator("keywords", mode="after")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        return [k.strip().lower() for k in value if k.strip()]


class PersonSpec(Strict):
    id: str
    name: str | None = None
    email: str | None = None
    timezone: str | None = None
    working_hours: WorkingHours | None = None  # overrides the org's for nudges to this person
    holidays: list[date] = []  # their own days off (leave), beside the organisation's holidays

    @field_validator("id", mode="after")
    @classmethod
    def _id(cls, value: str) -> str:
        return _identity(value)


class Org(Strict):
    timezone: str = "UTC"
    working_hours: WorkingHours = WorkingHours()
    slack_team_ids: list[str] = []
    slack_enterprise_ids: list[str] = []  # Enterprise Grid organisations: every workspace in them belongs
    slack_log_reaction: str | None = None  # an emoji name: reacting with it to a Slack message logs the message
    teams_tenant_ids: list[str] = []
    admins: list[str] = []
    leaders: list[str] = []
    journey_stages: list[str] = DEFAULT_STAGES
    holidays: list[date] = []  # nobody works: no due time runs on them and nobody is nudged
    root_causes: list[str] = DEFAULT_CAUSES
    max_snooze: timedelta = timedelta(days=14)
    digest: Digest = Digest()
    nudges: Nudges = Nudges()
    sla: dict[Literal["low", "medium", "high", "critical"], Sla] = {}
    departments: list[DepartmentSpec] = []
    people: list[PersonSpec] = []

    @field_validator("timezone", mode="after")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/London") from None
        return value

    @field_validator("slack_log_reaction", mode="after")
    @classmethod
    def _reaction(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        name = value.strip().strip(":").lower()
        if not re.fullmatch(r"[a-z0-9_+'-]{1,100}", name):
            raise ValueError(f"{value!r} is not an emoji name like \"rotating_light\" (without colons is fine)")
        return name

    @field_validator("admins", "leaders", mode="after")
    @classmethod
    def _people(cls, value: list[str]) -> list[str]:
        return [_identity(v) for v in value]

    @field_validator("journey_stages", mode="after")
    @classmethod
    def _stages(cls, value: list[str]) -> list[str]:
        stages = [s.strip().lower() for s in value if s.strip()]
        if not stages:
            raise ValueError("name at least one journey stage")
        return stages

    @field_validator("root_causes", mode="after")
    @classmethod
    def _causes(cls, value: list[str]) -> list[str]:
        causes = list(dict.fromkeys(cause_name(c) for c in value if c.strip()))
        if not causes:
            raise ValueError("name at least one root cause (or leave root_causes out for the defaults)")
        if len(causes) > 25 or any(len(c) > 60 for c in causes):
            raise ValueError("keep root causes to at most 25, each at most 60 characters: a resolver picks one")
        return causes

    @field_validator("max_snooze", mode="before")
    @classmethod
    def _snooze(cls, value: object) -> object:
        return duration_field(value)

    @model_validator(mode="after")
    def _consistent(self) -> Org:
        keys = [d.key for d in self.departments]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"departments: key {repeated[0]!r} is used twice")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def sla_for(self, severity: str) -> Sla:
        return self.sla.get(severity, DEFAULT_SLA[severity])  # type: ignore[call-overload]

    def hours_of(self, *handles: str | None) -> WorkingHours:
        """A person's working hours, found by any handle they are known by (identity or email): a person
        named by email in the file keeps their hours once their platform identity is known. The organisation's
        holidays and their own are days off."""
        wanted = {h.lower() if "@" in h and ":" not in h else h for h in handles if h}
        for spec in self.people:
            if spec.id in wanted:
                return (spec.working_hours or self.working_hours).with_holidays(self.holidays, spec.holidays)
        return self.working_hours.with_holidays(self.holidays)

    def department_hours(self, key: str | None) -> WorkingHours:
        """The hours a department's due times run in: the organisation's, less its holidays and the
        department's own closures."""
        own = next((d.holidays for d in self.departments if d.key == key), [])
        return self.working_hours.with_holidays(self.holidays, own)

    def with_admins(self, extra: list[str]) -> Org:
        """CX_ADMINS adds admins from the environment."""
        admins = list(dict.fromkeys([*self.admins, *(_identity(a) for a in extra if a.strip())]))
        return self.model_copy(update={"admins": admins})


def org_warnings(org: Org) -> list[str]:
    """Set-ups that work but will surprise: printed by check-org and at start."""
    warnings = []
    if not org.departments:
        warnings.append("no departments: nothing can be routed until an admin adds one ('dept add <key> <name>')")
    elif not any(d.triage for d in org.departments):
        warnings.append("no triage department (triage = true): items that no keyword matches go to the first "
                        f"department, {org.departments[0].name}, and their reporters are told why")
    for spec in org.departments:
        if not spec.owners:
            warnings.append(f"department {spec.key} has no owners: its items "
                            + ("go to its reps" if spec.reps else "have nobody to act on them (the admins are told)"))
    if not org.admins:
        warnings.append("no admins: nobody can manage departments from chat (set admins, or CX_ADMINS)")
    return warnings


def repeated_key(text: str, error: tomllib.TOMLDecodeError) -> str:
    """tomllib says "Cannot overwrite a value (at line 3, column 10)": name the key it means."""
    match = re.search(r"line (\d+)", str(error))
    if "overwrite" not in str(error) or not match:
        return ""
    line = text.splitlines()[int(match.group(1)) - 1] if int(match.group(1)) <= len(text.splitlines()) else ""
    key = line.split("=", 1)[0].strip().strip("[]").strip() if "=" in line or line.strip().startswith("[") else ""
    return f": {key!r} is given twice (line {match.group(1)})" if key else ""


def load_org(path: str | Path) -> Org:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError:
        raise OrgFileError(f"org file {path} does not exist (CX_ORG_FILE)") from None
    except IsADirectoryError:
        raise OrgFileError(f"org file {path} is a folder, not a file (CX_ORG_FILE)") from None
    except PermissionError:
        raise OrgFileError(f"org file {path} cannot be read: permission denied") from None
    except UnicodeDecodeError as error:
        raise OrgFileError(f"org file {path} is not UTF-8 text (byte {error.start} is not): save it as UTF-8")\
            from None
    except RecursionError:
        raise OrgFileError(f"org file {path} nests its values too deeply to be an org file") from None
    except tomllib.TOMLDecodeError as error:
        raise OrgFileError(f"org file {path} is not valid TOML{repeated_key(text, error)} ({error})") from None
    if not raw:
        raise OrgFileError(f"org file {path} is empty: name at least your departments and admins "
                           "(see org.example.toml)")
    try:
        return Org.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
        )
        raise OrgFileError(f"org file {path} has a problem: {problems}") from None
