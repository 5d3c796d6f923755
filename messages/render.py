"""Render a reply or notice from its template for one surface, escaping user text for that surface."""
from __future__ import annotations

import re
from typing import Any

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value: Any) -> Any:
    """Text surface: every value is stripped of control characters, so nothing can move a terminal's cursor."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    return "" if value is None else value


@pass_context
def when(context: Context, iso: str | None) -> str:
    """An ISO time shown in the reader's own time zone: 'Tue 25 Nov 09:00'."""
    if not iso:
        return ""
    zone = ZoneInfo(context.get("tz") or "UTC")
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%a %d %b %H:%M")


class Renderer:
    def __init__(self, surface: str = "text") -> None:
        self.surface = surface
        self.env = Environment(
            loader=PackageLoader("messages", f"templates/{surface}"),
            autoescape=select_autoescape(enabled_extensions=("html", "xml"), default=False),
            finalize=plain,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["when"] = when

    def render(self, template: str, data: dict[str, Any], *, prefix: str = "", tz: str | None = None) -> str:
        """`prefix` is how the door's commands start ('/cx ' in Slack); `tz` is the reader's time zone."""
        text = self.env.get_template(f"{template}.j2").render(**data, prefix=prefix, tz=tz)
        return re.sub(r"\n{3,}", "\n\n", text).strip()
