"""Checking what people type: trimmed, bounded, and free of control characters."""
from __future__ import annotations

import re

from handlers.base import Refusal

# C0 and C1 controls, bidi and zero-width tricks, and lone UTF-16 surrogates (no character at all)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SPACES = re.compile(r"\s+")


def line(value: str | None, *, label: str, limit: int, required: bool = False,
         field: str | None = None) -> str | None:
    """A one-line field: whitespace runs become one space."""
    text = SPACES.sub(" ", value or "").strip()
    return _checked(text, label=label, limit=limit, required=required, field=field)


def block(value: str | None, *, label: str, limit: int, required: bool = False,
          field: str | None = None) -> str | None:
    """A multi-line field: line breaks are kept, trailing space trimmed."""
    lines = (value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    text = "\n".join(part.rstrip() for part in lines).strip()
    return _checked(text, label=label, limit=limit, required=required, field=field)


def _checked(text: str, *, label: str, limit: int, required: bool, field: str | None) -> str | None:
    if CONTROL.search(text):
        raise Refusal(f"The {label} contains control characters (or broken ones). Please type it again as plain "
                      "text.", field=field)
    if not text:
        if required:
            raise Refusal(f"The {label} is empty. Please write a few words.", field=field)
        return None
    if len(text) > limit:
        raise Refusal(f"The {label} is {len(text)} characters long; the limit is {limit}. Please shorten it.",
                      field=field)
    return text
