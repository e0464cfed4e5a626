"""Slack and Discord incoming-webhook bodies, rendered from an alert or digest payload.

Both services reject a body past their limits (Slack: 50 blocks, 3,000 characters per section
text; Discord: content 2,000, 10 embeds, title 256, description 4,096, 6,000 characters over all
embeds), so every piece is measured *after* escaping and cut on a character boundary. Article
text is escaped so that a headline cannot ping ``@everyone`` or ``<!channel>``, or forge a link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from watchwire.alerts.render import (
    alert_title,
    field_segments,
    join_segments_within,
    matched_words,
    one_line,
    snippet_segments,
    truncate,
)
from watchwire.payloads import DIGEST_TYPE, alerts_of, as_displayed

__all__ = [
    "DISCORD_CONTENT_MAX",
    "DISCORD_DESCRIPTION_MAX",
    "DISCORD_EMBEDS_MAX",
    "DISCORD_EMBED_TOTAL_MAX",
    "DISCORD_TITLE_MAX",
    "SLACK_BLOCKS_MAX",
    "SLACK_SECTION_MAX",
    "SLACK_TEXT_MAX",
    "discord_body",
    "escape_discord",
    "escape_slack",
    "slack_body",
]

SLACK_BLOCKS_MAX = 50
SLACK_SECTION_MAX = 3000
SLACK_TEXT_MAX = 3000
"""The top-level ``text`` (the notification fallback); Slack allows more, readers do not."""

DISCORD_CONTENT_MAX = 2000
DISCORD_EMBEDS_MAX = 10
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_EMBED_TOTAL_MAX = 6000

_SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>\[\]#])")


def escape_slack(text: str) -> str:
    """Slack mrkdwn control characters (``& < >``) as entities."""
    return "".join(_SLACK_ESCAPES.get(ch, ch) for ch in text)


def escape_discord(text: str) -> str:
    """Discord markdown characters backslash-escaped."""
    return _DISCORD_SPECIAL.sub(r"\\\1", text)


def _slack_bold(text: str) -> str:
    return f"*{text}*"


def _discord_bold(text: str) -> str:
    return f"**{text}**"


def _meta(alert: Mapping[str, Any]) -> str:
    article = alert.get("article") or {}
    parts = [str(alert.get("rule") or ""), str(article.get("source") or "")]
    copies = len((alert.get("story") or {}).get("copies") or ())
    if copies > 1:
        parts.append(f"{copies} copies")
    return " · ".join(one_line(p) for p in parts if p)


# --- Slack ------------------------------------------------------------------------------------


def _slack_alert_text(alert: Mapping[str, Any], limit: int) -> str:
    article = alert.get("article") or {}
    title = escape_slack(truncate(alert_title(alert), 300)).replace("|", "¦")
    url = str(article.get("url") or "")
    head = f"*<{escape_slack(url)}|{title}>*" if url else f"*{title}*"
    head += f"\n{escape_slack(_meta(alert))}\n"
    snippet = snippet_segments(str(article.get("snippet") or ""), matched_words(alert))
    for i, (text, hit) in enumerate(snippet):
        snippet[i] = (one_line(text) if hit else text.replace("\n", " "), hit)
    body = join_segments_within(snippet, escape_slack, _slack_bold, max(limit - len(head), 1))
    return head + body


def slack_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{"text": …, "blocks": […]}`` for a Slack incoming webhook."""
    payload = as_displayed(payload)
    alerts = alerts_of(payload)
    if payload.get("type") != DIGEST_TYPE:
        alert = alerts[0]
        text = f"[watchwire] {one_line(str(alert.get('rule') or ''))}: {alert_title(alert)}"
        return {
            "text": escape_slack(truncate(text, SLACK_TEXT_MAX // 5)),  # ≤ 5× when escaped
            "blocks": [_section(_slack_alert_text(alert, SLACK_SECTION_MAX))],
            "unfurl_links": False,
        }
    summary = f"[watchwire] digest: {_count(len(alerts))}"
    blocks: list[dict[str, Any]] = [_section(f"*{escape_slack(summary)}*")]
    room = SLACK_BLOCKS_MAX - 1
    shown = alerts if len(alerts) <= room else alerts[: room - 1]
    blocks.extend(_section(_slack_alert_text(a, SLACK_SECTION_MAX)) for a in shown)
    if len(shown) < len(alerts):
        more = len(alerts) - len(shown)
        blocks.append(_section(f"…and {more} more alert{'' if more == 1 else 's'}"))
    return {"text": summary, "blocks": blocks, "unfurl_links": False}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_SECTION_MAX]}}


def _count(n: int) -> str:
    return f"{n} alert" if n == 1 else f"{n} alerts"


# --- Discord ----------------------------------------------------------------------------------


def _discord_embed(alert: Mapping[str, Any], description_max: int) -> dict[str, Any]:
    article = alert.get("article") or {}
    embed: dict[str, Any] = {"title": truncate(alert_title(alert), DISCORD_TITLE_MAX)}
    url = article.get("url")
    if url:
        embed["url"] = str(url)
    snippet = snippet_segments(str(article.get("snippet") or ""), matched_words(alert))
    lead = field_segments(alert, "lead", str(article.get("lead") or ""))
    segments = snippet or lead
    if segments and description_max > 0:
        embed["description"] = join_segments_within(
            segments, escape_discord, _discord_bold, description_max
        )
    footer = _meta(alert)
    if footer:
        # Well under Discord's 2,048 so that ten titles and footers always fit in 6,000.
        embed["footer"] = {"text": truncate(footer, 200)}
    when = article.get("published_at") or alert.get("created_at")
    if when:
        embed["timestamp"] = str(when)
    return embed


def _embed_size(embed: Mapping[str, Any]) -> int:
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + len((embed.get("footer") or {}).get("text", ""))
    )


def discord_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{"content": …, "embeds": […]}`` for a Discord webhook, mentions disabled."""
    payload = as_displayed(payload)
    alerts = alerts_of(payload)
    if payload.get("type") != DIGEST_TYPE:
        alert = alerts[0]
        rule = one_line(str(alert.get("rule") or ""))
        content = escape_discord(f"[watchwire] {rule}: {alert_title(alert)}")
        embeds = [_discord_embed(alert, DISCORD_DESCRIPTION_MAX)]
    else:
        content = escape_discord(f"[watchwire] digest: {_count(len(alerts))}")
        shown = alerts[:DISCORD_EMBEDS_MAX]
        # Share the 6,000 characters fairly; titles and footers first, descriptions the rest.
        per_embed = DISCORD_EMBED_TOTAL_MAX // max(len(shown), 1)
        embeds = []
        for alert in shown:
            bare = _discord_embed(alert, 0)
            room = min(DISCORD_DESCRIPTION_MAX, per_embed - _embed_size(bare))
            embeds.append(_discord_embed(alert, room))
        for alert in alerts[len(shown) :]:
            url = str((alert.get("article") or {}).get("url") or "")
            line = f"\n• {escape_discord(alert_title(alert))}" + (f" <{url}>" if url else "")
            if len(content) + len(line) > DISCORD_CONTENT_MAX - 40:
                content += f"\n…and more ({_count(len(alerts))} in all)"
                break
            content += line
    return {
        "content": truncate(content, DISCORD_CONTENT_MAX),
        "embeds": embeds,
        "allowed_mentions": {"parse": []},
    }
