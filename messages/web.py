"""The dashboard's pages and exports. Pages are HTML from templates/web, every value escaped by jinja2's
autoescape; exports are CSV in which a cell a spreadsheet would read as a formula (=, +, -, @, a tab or a
carriage return first) is neutralised with a leading apostrophe, as OWASP advises."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from messages.render import TEMPLATES, clean, cut, moment, when

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def pages() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES / "web"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=when, moment=moment, cut=cut)
    return env


def cell(value: Any) -> str:
    text = clean(value)
    return "'" + text if text.startswith(FORMULA) else text


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], titles: Mapping[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([titles.get(c, c) for c in columns])
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue()
