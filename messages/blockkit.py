"""Block Kit limits, applied after escaping (escaping lengthens text: '&' becomes '&amp;')."""
from __future__ import annotations

from typing import Any

TEXT_LIMITS = {"section": 3000, "header": 150, "context": 2000}
FIELD_LIMIT = 2000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


def cut_mrkdwn(text: str, limit: int) -> str:
    """Shorten with an ellipsis, never leaving half an escape like '&am'."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and len(head) - amp < 5:
        head = head[:amp]
    return head.rstrip() + "…"


def _fit_text(obj: dict[str, Any] | None, limit: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = cut_mrkdwn(obj["text"], limit)


def fit(blocks: list[dict[str, Any]], max_blocks: int) -> list[dict[str, Any]]:
    for block in blocks:
        kind = block.get("type", "")
        if kind in ("section", "header"):
            _fit_text(block.get("text"), TEXT_LIMITS[kind])
            for field in block.get("fields", []):
                _fit_text(field, FIELD_LIMIT)
        elif kind == "context":
            for element in block.get("elements", []):
                _fit_text(element, TEXT_LIMITS["context"])
    if len(blocks) > max_blocks:
        blocks = blocks[: max_blocks - 1] + [{"type": "context", "elements": [
            {"type": "mrkdwn", "text": "…more than fits here; see the bot's App Home."}]}]
    return blocks
