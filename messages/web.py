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
    env.filters.update(when=when, moment=moment, cut=cut, bar_paths=bar_paths)
    return env


def bar_paths(figures: Sequence[float | None], width: float, height: float) -> tuple[str, str]:
    """The SVG path data of a bar chart's bars: (every week but the last, the last), each bar from the
    baseline up to its share of the tallest (at least half a pixel); a week without a figure has no bar."""
    values = [f or 0 for f in figures]
    top, step = max([*values, 1]), width / max(len(values), 1)

    def bar(n: int, value: float) -> str:
        return f"M{n * step + 1:.1f} {height}v-{max(value / top * height, 0.5):.1f}h{max(step - 2, 1):.1f}V{height}z"

    earlier = "".join(bar(n, v) for n, v in enumerate(values[:-1]) if v)
    return earlier, bar(len(values) - 1, values[-1]) if values and values[-1] else ""


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
