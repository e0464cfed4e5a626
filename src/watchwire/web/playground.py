"""``/playground``: try a page against the rules. Nothing is stored.

Paste a page's HTML or its text — or give the URL of a page on a configured source's host —
choose a rule or write one, and see what watchwire extracts, whether each rule matches, the
matched words in the paragraphs that hold them, and for a near miss which part failed (the
``check`` explanation, as a page).

The server fetches nothing but pages on the hosts of configured sources: it is no open fetcher
that anyone who can reach it could aim at the machine's network. Redirects are followed by
hand, each hop checked the same way, so a source's page cannot send the fetch elsewhere. The
fetch is the service's own, polite one (robots.txt, its User-Agent, its size cap).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from watchwire import queries
from watchwire.alerts.render import Segment
from watchwire.config import Config, RuleConfig, SourceConfig
from watchwire.exceptions import QuerySyntaxError
from watchwire.fetch import Fetcher
from watchwire.models import Article, FetchOutcome
from watchwire.rules import RuleSet, compile_rules
from watchwire.snapshot import Snapshot
from watchwire.timeutil import iso_z, utcnow
from watchwire.web.render import answer
from watchwire.web.routes import CONTEXT, twins
from watchwire.workers import OverBound

__all__ = ["MAX_HOPS", "ROUTES", "allowed", "fetch_page", "setup"]

MAX_HOPS = 5
"""Redirects followed, each to a configured source's host."""
WITHIN = ("article", "paragraph", "sentence")
SHOWN_TEXT = 4000
"""Characters of the extracted text the page shows (all of it is tried)."""


# --- fetching, only where sources are ---------------------------------------------------------


def _origin(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def allowed(config: Config, url: str) -> SourceConfig | None:
    """The configured source whose host (and port) ``url`` is on; None when there is none."""
    wanted = _origin(url)
    if wanted is None:
        return None
    return next((s for s in config.sources if _origin(s.url) == wanted), None)


@dataclass(frozen=True, slots=True)
class Fetched:
    content: bytes
    url: str
    charset: str | None
    source: SourceConfig


async def fetch_page(config: Config, url: str) -> Fetched:
    """The page at ``url``, if it and every redirect on the way are on a source's host;
    BadRequest, in words, for anything else."""
    current = url.strip()
    for _ in range(MAX_HOPS + 1):
        source = allowed(config, current)
        if source is None:
            host = _origin(current)
            raise queries.BadRequest(
                f"{'that redirects to ' if current != url.strip() else ''}"
                f"{f'{host[0]}:{host[1]}' if host else repr(current)} is not the host of a "
                "configured source: the playground fetches only pages of the sites watchwire "
                "watches (paste the page's HTML instead)"
            )
        settings = config.settings_for(source).model_copy(update={"max_redirects": 0})
        async with Fetcher(settings) as fetcher:
            result = await fetcher.fetch(current, settings=settings, purpose="page")
        if result.error_class == "redirects" and result.final_url != current:
            current = result.final_url  # checked at the top of the loop before it is fetched
            continue
        if result.outcome is FetchOutcome.DISALLOWED:
            raise queries.BadRequest(f"robots.txt does not allow fetching {current}")
        if not result.ok:
            raise queries.BadRequest(f"cannot fetch {current}: {result.error}")
        return Fetched(result.content, result.final_url, result.charset, source)
    raise queries.BadRequest(f"more than {MAX_HOPS} redirects from {url}")


# --- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tried:
    verdict: queries.Verdict
    query: str
    within: str
    windows: tuple[tuple[str, Sequence[Segment]], ...]
    """Where it matched: each paragraph holding matched words, as (field, segments)."""


def _segments(text: str, window: queries.Window) -> list[Segment]:
    out: list[Segment] = []
    at = window.start
    for span in sorted(window.spans, key=lambda s: s.start):
        if span.start < at:
            continue
        out += [(text[at : span.start], False), (text[span.start : span.end], True)]
        at = span.end
    out.append((text[at : window.end], False))
    return [seg for seg in out if seg[0]]


def _written(rules: RuleSet, article: Article, source: str | None) -> list[queries.Verdict]:
    """A rule written in the form: matched or not, and why (no channel to judge for)."""
    (report,) = queries.explain(rules, article, source=source)
    kind = "match" if report.matched else "no-match"
    detail = "matches" if report.matched else report.reason or "no match"
    return [queries.Verdict(rule=report.rule, verdict=kind, detail=detail, report=report)]


def _tried(
    verdicts: Sequence[queries.Verdict], specs: dict[str, RuleConfig], article: Article
) -> list[Tried]:
    texts = {"title": article.title, "lead": article.lead,
             "body": article.text or "\n\n".join(article.paragraphs)}  # fmt: skip
    out: list[Tried] = []
    for v in verdicts:
        spec = specs[v.rule]
        windows = tuple(
            (w.field, _segments(texts[w.field], w))
            for w in queries.match_windows(article, v.report.spans)
        )
        out.append(Tried(verdict=v, query=spec.query, within=str(spec.within), windows=windows))
    return out


def _tried_json(t: Tried, article: Article) -> dict[str, Any]:
    windows = queries.match_windows(article, t.verdict.report.spans)
    return {**queries.verdict_json(t.verdict), "query": t.query, "within": t.within,
            "windows": [queries.window_json(w) for w in windows]}  # fmt: skip


def _article_json(a: Article) -> dict[str, Any]:
    return {
        "title": a.title, "url": a.url, "published_at": iso_z(a.published_at),
        "language": a.language, "lead": a.lead, "authors": list(a.authors),
        "paragraphs": len(a.paragraphs), "words": len(a.text.split()), "text": a.text,
    }  # fmt: skip


_EVERY: web.AppKey[dict[int, tuple[Snapshot, RuleSet]]] = web.AppKey("every_rule", dict)


def _every_rule(request: web.Request, snapshot: Snapshot) -> RuleSet:
    """Every rule of the snapshot's config compiled, disabled ones too (as ``check`` judges),
    once per snapshot: a reload brings the next."""
    cache = request.app[_EVERY]
    found = cache.get(id(snapshot))
    if found is None or found[0] is not snapshot:
        cache.clear()
        rules = compile_rules(snapshot.config.rules, snapshot.config.terms, include_disabled=True)
        found = cache[id(snapshot)] = (snapshot, rules)
    return found[1]


def setup(app: web.Application) -> None:
    app[_EVERY] = {}


def _form(post: Any) -> dict[str, str]:
    form = {k: str(post.get(k) or "").strip() if k != "page" else str(post.get(k) or "")
            for k in ("page", "url", "source", "rule", "query", "within")}  # fmt: skip
    form["within"] = form["within"] or "article"
    return form


async def playground(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    config = ctx.snapshot().config
    context: dict[str, Any] = {
        "title": "Rule playground", "section": "playground", "rules": config.rules,
        "sources": config.sources, "withins": WITHIN, "error": None, "caret": None,
        "article": None, "tried": [], "fetched": None,
        "form": {"page": "", "url": "", "source": "", "rule": "", "query": "", "within": "article"},
    }  # fmt: skip
    if request.method == "GET":
        body = {"rules": [r.name for r in config.rules],
                "sources": [s.name for s in config.sources]}  # fmt: skip
        return answer(request, "playground.html", body, **context)
    form = _form(await request.post())
    context["form"] = form
    try:
        body = await _run(request, config, form, context)
    except queries.BadRequest as exc:
        context["error"] = str(exc)
        return answer(request, "playground.html", {"error": str(exc)}, status=400, **context)
    except QuerySyntaxError as exc:
        context.update(error=f"The rule does not parse: {exc}", caret=exc.caret())
        return answer(request, "playground.html", {"error": str(exc)}, status=400, **context)
    return answer(request, "playground.html", body, **context)


async def _run(
    request: web.Request, config: Config, form: dict[str, str], context: dict[str, Any]
) -> dict[str, Any]:
    """Try the page; the JSON answer, and the page's values added to ``context``."""
    snapshot = request.app[CONTEXT].snapshot()
    source = form["source"] or None
    if source is not None and source not in {s.name for s in config.sources}:
        raise queries.BadRequest(f"no source named '{source}'")
    if form["within"] not in WITHIN:
        raise queries.BadRequest(f"within takes {', '.join(WITHIN)}, not '{form['within']}'")
    # The rules first: a rule that does not parse is said before any fetch.
    written = None
    if form["query"]:
        spec = RuleConfig(name="your-rule", query=form["query"], within=form["within"])
        specs = {spec.name: spec}
        written = compile_rules([spec], config.terms)
    elif form["rule"] and form["rule"] not in {r.name for r in config.rules}:
        raise queries.BadRequest(f"no rule named '{form['rule']}'")
    if not config.rules and written is None:
        raise queries.BadRequest("the config has no rules: write one to try")
    if form["url"]:
        fetched = await fetch_page(config, form["url"])
        content, url, charset = fetched.content, fetched.url, fetched.charset
        source = source or fetched.source.name
        context["fetched"] = url
    elif form["page"].strip():
        content, url, charset = form["page"].encode(), "", "utf-8"
    else:
        raise queries.BadRequest("paste a page (its HTML or its text) or give its URL")
    # Extraction is CPU work on bytes from anywhere: off the loop, so polls and pages go on,
    # and in a sandbox, under the bound of every parse of a site's bytes (docs/crawl.md).
    extract = partial(queries.page_article, content, url=url, charset=charset)
    pool = request.app[CONTEXT].sandboxes
    try:
        article, fingerprint = await (asyncio.to_thread(extract) if pool is None
                                      else pool.isolated(extract))  # fmt: skip
    except OverBound as exc:
        raise queries.BadRequest(f"that page cannot be tried: parsing it {exc.reason}") from None
    if written is not None:
        verdicts = await asyncio.to_thread(_written, written, article, source)
    else:
        # As `watchwire check` judges: as once would, each rule (disabled ones too), asking
        # the store (read-only) whether the story alerted already.
        specs = {r.name: r for r in config.rules}
        every = await asyncio.to_thread(_every_rule, request, snapshot)
        verdicts = await queries.judge(snapshot, every, article, fingerprint, source=source,
                                       store=request.app[CONTEXT].store, now=utcnow())  # fmt: skip
        verdicts = [v for v in verdicts if not form["rule"] or v.rule == form["rule"]]
    tried = _tried(verdicts, specs, article)
    context.update(article=article, tried=tried, shown=article.text[:SHOWN_TEXT],
                   judged_as=source)  # fmt: skip
    return {
        "fetched": context["fetched"],
        "source": source,
        "article": _article_json(article),
        "rules": [_tried_json(t, article) for t in tried],
    }


ROUTES = (*twins("GET", "/playground", playground), *twins("POST", "/playground", playground))
