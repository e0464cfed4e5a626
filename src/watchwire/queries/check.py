"""What rules make of one article: ``explain`` (matched or not, and why), ``judge`` (what
``once`` would do), where a match lies (``match_windows``), the article of a page or of pasted
text (``page_article``), and what a source URL yields (``discovery_json``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchwire.analyze import analyze_page
from watchwire.dedupe import TextFingerprint, fingerprint
from watchwire.models import Article, Discovery, Link, Match, Span
from watchwire.payloads import render_alert
from watchwire.queries.common import BadRequest
from watchwire.rules import RuleReport, RuleSet
from watchwire.snapshot import Snapshot
from watchwire.store import (
    AlertIntent,
    ArticleStore,
    NewArticle,
)
from watchwire.timeutil import iso_z

__all__ = [
    "Verdict",
    "Window",
    "discovery_json",
    "explain",
    "judge",
    "looks_like_html",
    "match_windows",
    "page_article",
    "report_json",
    "text_article",
    "verdict_json",
    "window_json",
]

# --- explain ------------------------------------------------------------------------------------


def explain(rules: RuleSet, article: Article, *, source: str | None = None) -> list[RuleReport]:
    """Every rule of ``rules``, matched or not, and why (``watchwire check``; slow: each rule
    is evaluated in full)."""
    return rules.explain(article, source=source)


def report_json(report: RuleReport) -> dict[str, Any]:
    """Why one rule did or did not match (``watchwire check``'s verdict on one rule)."""
    return {
        "rule": report.rule,
        "matched": report.matched,
        "reason": report.reason,
        "matches": [
            {"field": s.field, "text": s.text, "start": s.start, "end": s.end} for s in report.spans
        ],
        "snippet": report.snippet or None,
        "missing": list(report.missing),
        "excluded": list(report.excluded),
    }


# --- check: what would happen to an article ----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What watchwire would do with one article for one rule (``watchwire check``)."""

    rule: str
    verdict: str
    """``alert`` (would alert ``channels``), ``backlog`` (older than ``backfill``: stored,
    never alerted), ``alerted`` (its story was alerted already), ``disabled``, ``source`` (the
    source is not one of the rule's), ``sources`` (the rule has sources and none was given),
    ``no-channel`` (matches, notifies nobody) or ``no-match``."""
    detail: str
    """The verdict in words, one line."""
    report: RuleReport
    channels: tuple[str, ...] = ()
    """For ``alert``: the channels that would be told."""
    story_id: int | None = None
    """For ``alerted``: the story it was alerted as."""


async def judge(
    snapshot: Snapshot,
    rules: RuleSet,
    article: Article,
    fingerprint: TextFingerprint,
    *,
    source: str | None,
    store: ArticleStore | None,
    now: datetime,
) -> list[Verdict]:
    """Every rule of ``snapshot``'s config (``rules``: all of them compiled, disabled ones
    too), judged as ``once`` would: matched or not, then disabled, source, backlog, channels,
    and (with a ``store``) whether its story was alerted already. Reads, never writes."""
    config = snapshot.config
    reports = {r.rule: r for r in rules.explain(article, source=None)}
    settings = config.settings_for(config.source(source) if source else None)
    backlog = article.published_at is not None and article.published_at < now - settings.backfill
    out: list[Verdict] = []
    for rule in config.rules:
        report = reports[rule.name]
        targets = snapshot.targets.get(rule.name, ())

        def verdict(kind: str, detail: str, **extra: Any) -> Verdict:
            return Verdict(rule=rule.name, verdict=kind, detail=detail, report=report, **extra)  # noqa: B023

        if not report.matched:
            out.append(verdict("no-match", report.reason or "no match"))
        elif not rule.enabled:
            out.append(verdict("disabled", "matches, but the rule is disabled"))
        elif rule.sources is not None and source is None:
            out.append(verdict("sources", f"matches; the rule is only for {', '.join(rule.sources)}"
                               " (--source NAME judges as one of them)"))  # fmt: skip
        elif rule.sources is not None and source not in rule.sources:
            out.append(verdict("source", f"matches, but {source} is not one of the rule's "
                               f"sources ({', '.join(rule.sources)})"))  # fmt: skip
        elif backlog:
            assert article.published_at is not None
            age = _age(now - article.published_at)
            out.append(verdict("backlog", f"matches, but it is backlog: published {age} ago, "
                               f"older than backfill ({_age(settings.backfill)}); stored, "
                               "never alerted"))  # fmt: skip
        elif not targets:
            out.append(verdict("no-channel", "matches, but the rule notifies no channel"))
        else:
            out.append(await _would_alert(rule.name, targets, article, fingerprint, source,
                                          store, now, verdict))  # fmt: skip
    return out


async def _would_alert(
    rule: str,
    targets: Sequence[Any],
    article: Article,
    fingerprint: TextFingerprint,
    source: str | None,
    store: ArticleStore | None,
    now: datetime,
    verdict: Callable[..., Verdict],
) -> Verdict:
    channels = tuple(t.channel for t in targets)
    if store is not None:
        # The body is not stored: a preview only asks which (rule, story, channel) are new.
        match = Match(rule=rule, spans=(), snippet="")
        body = render_alert(
            rule=rule, article=article, source=source or "", matches=match, created_at=now
        )
        intents = [AlertIntent(rule=rule, channel=t.channel, digest=t.digest, payload=body)
                   for t in targets]  # fmt: skip
        new = NewArticle(
            url=article.url or "", source=source or "", article=article,
            content_hash=fingerprint.content_hash, simhash=fingerprint.simhash,
            band_keys=fingerprint.band_keys if fingerprint.near_dup_eligible else (),
        )  # fmt: skip
        preview = await store.preview_article(new, intents)
        if preview.alerted and not preview.alerts:
            return verdict("alerted", f"matches, but its story was alerted already, as story "
                           f"{preview.story_id}", story_id=preview.story_id)  # fmt: skip
        channels = tuple(i.channel for i in preview.alerts)
    return verdict("alert", f"would alert {', '.join(channels)}", channels=channels)


def _age(td: timedelta) -> str:
    seconds = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "rule": v.rule,
        "verdict": v.verdict,
        "detail": v.detail,
        "channels": list(v.channels),
        "story_id": v.story_id,
        "explain": report_json(v.report),
    }


# --- discover -----------------------------------------------------------------------------------


def discovery_json(d: Discovery, *, url: str, format: str, title: str | None) -> dict[str, Any]:
    """What a source URL yields (``watchwire discover``)."""
    return {
        "url": url,
        "kind": str(d.kind),
        "format": format,
        "title": title,
        "links": [
            {
                "url": link.url,
                "title": link.title,
                "published_at": iso_z(link.published_at),
                "updated_at": iso_z(link.updated_at),
            }
            for link in d.links
        ],
        "feeds": list(d.feeds),
        "sitemaps": list(d.sitemaps),
        "error": d.error,
    }


# --- the dashboard: where a rule matched --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """A stretch of one field (whole paragraphs) holding matched spans."""

    field: str
    start: int
    end: int
    spans: tuple[Span, ...]


def match_windows(article: Article, spans: Sequence[Span], *, most: int = 3) -> tuple[Window, ...]:
    """The paragraphs of ``article`` that hold ``spans``, each with its spans, in article
    order (at most ``most``): where a match is seen whole, not as a snippet."""
    texts = {"title": article.title, "lead": article.lead,
             "body": article.text or "\n\n".join(article.paragraphs)}  # fmt: skip
    out: list[Window] = []
    for span in spans:
        text = texts.get(span.field, "")
        if not 0 <= span.start < span.end <= len(text):
            continue
        if out and out[-1].field == span.field and span.start < out[-1].end:
            last = out[-1]
            out[-1] = Window(field=last.field, start=last.start, end=last.end,
                             spans=(*last.spans, span))  # fmt: skip
            continue
        if len(out) == most:
            break
        start = text.rfind("\n\n", 0, span.start)
        start = 0 if start < 0 else start + 2
        end = text.find("\n\n", span.end)
        end = len(text) if end < 0 else end
        out.append(Window(field=span.field, start=start, end=end, spans=(span,)))
    return tuple(out)


def window_json(w: Window) -> dict[str, Any]:
    return {"field": w.field, "start": w.start, "end": w.end}


# --- the dashboard: a page tried against the rules ----------------------------------------------

_TAG = re.compile(rb"<(?:!doctype|html|head|body|article|main|p|div|h1|title)[\s>]", re.IGNORECASE)


def looks_like_html(data: bytes) -> bool:
    """A page (markup), not plain text pasted from one."""
    return _TAG.search(data[:65536]) is not None


def text_article(text: str, *, url: str | None = None) -> Article:
    """Plain text as an article: its first line the title, the rest its paragraphs (a blank
    line between two)."""
    first, _, rest = text.strip().partition("\n")
    paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", rest) if p.strip())
    return Article(title=" ".join(first.split()), text="\n\n".join(paragraphs),
                   paragraphs=paragraphs, url=url)  # fmt: skip


def page_article(
    content: bytes, *, url: str = "", charset: str | None = None
) -> tuple[Article, TextFingerprint]:
    """The article of a page, or of plain text, as the pipeline would store it; BadRequest,
    in words, when there is none. CPU-bound: a server runs it off its event loop."""
    if not looks_like_html(content):
        article = text_article(content.decode(charset or "utf-8", errors="replace"),
                               url=url or None)  # fmt: skip
        if not (article.title or article.text):
            raise BadRequest("there is no text to try")
        return article, fingerprint(article.text)
    analysis = analyze_page(content, charset=charset, url=url, link=Link(url=url), language=None)
    if analysis is None or not analysis.article.text.strip():
        raise BadRequest(
            "no article text was found in that page: a home page or a listing holds links to "
            "articles, not one (give an article's page)"
        )
    return analysis.article, analysis.fingerprint
