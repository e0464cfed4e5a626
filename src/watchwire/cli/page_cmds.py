"""``extract``, ``check`` and ``discover``: one page or source document, read and explained.

Each first says what its input is: ``extract`` and ``check`` want an article page and name
anything else (a feed, a sitemap, a TOML file, a listing with no article) instead of treating
it as one; ``discover`` wants a source and shows what it yields.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchwire.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    Failed,
    Painter,
    UsageError,
    add_command,
    existing_store,
    load,
    local_time,
    print_json,
)
from watchwire.cli.parents import Parents
from watchwire.gzipfile import GzipError, is_gzip, iter_gunzip
from watchwire.logs import redact_url
from watchwire.models import Article, Discovery, FetchOutcome, SourceKind
from watchwire.timeutil import iso_z, utcnow

if TYPE_CHECKING:
    from watchwire.config import CrawlSettings

__all__ = ["register"]

_SHOWN_LINKS = 30
"""Links ``discover`` prints without --all."""


def register(sub: Any, parents: Parents) -> None:
    ex = add_command(
        sub, "extract", parents=[parents.logs],
        summary="print the article of a page as JSON",
        description="Fetch a page (politely: robots.txt, an honest User-Agent) or read a "
        "saved file (.html or .html.gz), and print the article watchwire extracts from it "
        "as JSON: title, text, dates, language. A feed, a sitemap or a page with no article "
        "is named for what it is (exit 1).",
        examples=["watchwire extract https://unn.ua/en/news/some-story",
                  "watchwire extract saved-page.html | jq .title"],
    )  # fmt: skip
    ex.add_argument("target", metavar="URL_OR_FILE")
    ex.set_defaults(handler=_cmd_extract)

    ck = add_command(
        sub, "check", parents=[parents.config, parents.logs, parents.color],
        summary="what would happen to a page: which rules match, and would they alert",
        description="Extract the article of a page (URL or file) and judge it against every "
        "rule of the config as `once` would: it would alert (and whom), it is backlog (older "
        "than backfill), its story was alerted already (with a store to ask), the rule is "
        "disabled, the source is not one of the rule's, or it does not match — and why, "
        "with the matched words highlighted.",
        examples=["watchwire check https://unn.ua/en/news/some-story -c watchwire.yaml",
                  "watchwire check page.html --source unn-en --json"],
    )  # fmt: skip
    ck.add_argument("target", metavar="URL_OR_FILE")
    ck.add_argument(
        "--source",
        metavar="NAME",
        help="judge it as coming from this source (its backfill, its rules)",
    )
    ck.add_argument("--json", action="store_true", help="one JSON object per rule")
    ck.set_defaults(handler=_cmd_check)

    dv = add_command(
        sub, "discover", parents=[parents.logs],
        summary="what a source URL yields: its kind, title, article links and dates",
        description="Fetch a URL as a source and show what watchwire finds there: what it is "
        "(an RSS, Atom or JSON feed, a sitemap, an HTML page), its title, the article links "
        "it lists with their dates, the feeds a home page announces (whose links are shown "
        "too) and a sitemap index's sitemaps. The way to try a source before adding it.",
        examples=["watchwire discover https://unn.ua/en/rss/news",
                  "watchwire discover https://www.dw.com/uk --json"],
    )  # fmt: skip
    dv.add_argument("url", metavar="URL_OR_FILE")
    dv.add_argument(
        "--links",
        metavar="SELECTOR",
        help="CSS selector of article links, for a listing page (as `links:`)",
    )
    dv.add_argument(
        "--all", action="store_true", help=f"every link (default: the first {_SHOWN_LINKS})"
    )
    dv.add_argument("--json", action="store_true", help="the result as one JSON object")
    dv.set_defaults(handler=_cmd_discover)


# --- reading an input -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Input:
    content: bytes
    url: str
    """Where it came from: the final URL, or the file's name."""
    fetched: bool
    content_type: str | None = None
    charset: str | None = None


def _read(target: str, settings: CrawlSettings, *, purpose: str) -> _Input:
    """A URL fetched politely, or a file (gzip'd too)."""
    if target.startswith(("http://", "https://")):
        from watchwire.fetch import Fetcher

        async def fetch(kind: Any) -> Any:
            async with Fetcher(settings) as fetcher:
                return await fetcher.fetch(target, settings=settings, purpose=kind)

        result = asyncio.run(fetch(purpose))
        if result.outcome is FetchOutcome.SKIPPED:
            result = asyncio.run(fetch("feed"))  # not a page: read it to say what it is
        if not result.ok:
            raise Failed(f"cannot fetch {redact_url(target)}: {result.error}")
        return _Input(result.content, result.final_url, True, result.content_type, result.charset)
    if "://" in target:
        raise UsageError(f"{target}: only http:// and https:// URLs can be fetched")
    try:
        data = Path(target).read_bytes()
    except IsADirectoryError:
        raise Failed(f"cannot read {target}: it is a folder") from None
    except OSError as exc:
        raise Failed(f"cannot read {target}: {(exc.strerror or str(exc)).lower()}") from None
    if is_gzip(data):
        try:
            data = b"".join(iter_gunzip(data))
        except GzipError as exc:
            raise Failed(f"cannot read {target}: broken gzip file ({exc})") from None
    return _Input(data, target, False)


def _article(given: _Input, target: str) -> tuple[Article, Any]:
    """The article of an input and its fingerprint; Failed, saying what the input is, when
    it is not an article page."""
    from watchwire.analyze import analyze_page
    from watchwire.discover import describe_document, discover
    from watchwire.models import Link

    what, _ = describe_document(given.content)
    if what != "an HTML page":
        detail = what
        if what not in ("plain text", "a binary file", "an empty document"):
            found = discover(given.content, url=given.url, content_type=given.content_type)
            detail += f" listing {_count(len(found.links), 'article link')}"
            if found.sitemaps:
                detail += f" and {_count(len(found.sitemaps), 'sitemap')}"
            detail += (f": not an article page; `watchwire discover {target}` lists what it "
                       "holds")  # fmt: skip
        else:
            detail += ", not an HTML page"
        raise Failed(f"{target} is {detail}")
    url = given.url if given.fetched else ""
    analysis = analyze_page(
        given.content, charset=given.charset, url=url, link=Link(url=url), language=None
    )
    if analysis is None or not analysis.article.text.strip():
        found = discover(given.content, url=given.url or "http://localhost/", kind=SourceKind.PAGE)
        hint = ""
        if found.feeds:
            hint = f"; it announces a feed: `watchwire discover {found.feeds[0]}`"
        elif len(found.links) > 5:
            hint = (f"; it links to {_count(len(found.links), 'article')}, like a listing "
                    f"page: `watchwire discover {target}`")  # fmt: skip
        raise Failed(f"{target} is an HTML page, but no article text was found in it{hint}")
    return analysis.article, analysis.fingerprint


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# --- extract --------------------------------------------------------------------------------------


def _cmd_extract(args: argparse.Namespace) -> int:
    from watchwire.config import Config
    from watchwire.extract import article_to_json

    given = _read(args.target, Config().settings_for(None), purpose="page")
    article, _ = _article(given, args.target)
    print(json.dumps(article_to_json(article), ensure_ascii=False, indent=2))
    return EXIT_OK


# --- check ----------------------------------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.rules import compile_rules
    from watchwire.snapshot import Snapshot
    from watchwire.store import open_store

    config = load(args)
    names = [s.name for s in config.sources]
    if args.source is not None and args.source not in names:
        raise UsageError(f"no source named '{args.source}' (sources: {', '.join(names) or 'none'})")
    source = config.source(args.source) if args.source else None
    given = _read(args.target, config.settings_for(source), purpose="page")
    article, fingerprint = _article(given, args.target)
    snapshot = Snapshot.build(config)
    every_rule = compile_rules(config.rules, config.terms, include_disabled=True)
    location = config.store_location()

    async def judge() -> list[queries.Verdict]:
        if not location.exists():  # a read-only command never creates a store
            return await queries.judge(snapshot, every_rule, article, fingerprint,
                                       source=args.source, store=None, now=utcnow())  # fmt: skip
        async with open_store(existing_store(config)) as store:
            return await queries.judge(snapshot, every_rule, article, fingerprint,
                                       source=args.source, store=store, now=utcnow())  # fmt: skip

    verdicts = asyncio.run(judge())
    if args.json:
        for v in verdicts:
            print_json(queries.verdict_json(v))
        return EXIT_OK
    paint = Painter(args.color)
    print(f"title: {article.title}")
    print(f"url: {article.url or '-'}  language: {article.language or '-'}  "
          f"published: {local_time(article.published_at)}")  # fmt: skip
    print(f"body: {_count(len(article.paragraphs), 'paragraph')}, "
          f"{len(article.text.split())} words\n")  # fmt: skip
    for v in verdicts:
        label = v.verdict.upper() if v.report.matched else "no match"
        paint_label = paint.good if v.verdict == "alert" else paint.bold
        label = (paint_label if v.report.matched else paint.dim)(f"{label:10}")
        print(f"{label} {v.rule}: {v.detail}")
        if v.report.matched:
            words = [s.text for s in v.report.spans]
            for span in v.report.spans:
                print(f"{'':11}{span.field}[{span.start}:{span.end}] {paint.hit(span.text)}")
            if v.report.snippet:
                print(f"{'':11}{paint.snippet(v.report.snippet, words)}")
    matched = sum(v.report.matched for v in verdicts)
    alerting = sum(v.verdict == "alert" for v in verdicts)
    print(
        f"\n{matched} of {_count(len(verdicts), 'rule')} match; {alerting} would alert"
        + ("" if location.exists() else " (no store yet: earlier alerts not checked)")
    )
    return EXIT_OK


# --- discover -------------------------------------------------------------------------------------


def _cmd_discover(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.config import Config
    from watchwire.discover import describe_document, discover

    settings = Config().settings_for(None)
    given = _read(args.url, settings, purpose="feed")
    what, title = describe_document(given.content)
    found = discover(given.content, url=given.url, content_type=given.content_type,
                     charset=given.charset, links_selector=args.links)  # fmt: skip
    followed: list[tuple[str, str, str | None, Discovery]] = []
    if found.feeds and (found.kind is SourceKind.PAGE or not found.links):
        for feed in found.feeds[:2]:  # what the pipeline would follow: the first feed
            try:
                sub = _read(feed, settings, purpose="feed")
            except Failed as exc:
                followed.append(
                    (feed, f"unreadable ({exc})", None, Discovery(kind=SourceKind.FEED))
                )
                continue
            sub_what, sub_title = describe_document(sub.content)
            followed.append(
                (
                    feed,
                    sub_what,
                    sub_title,
                    discover(
                        sub.content, url=sub.url, content_type=sub.content_type, charset=sub.charset
                    ),
                )
            )
    if args.json:
        out = queries.discovery_json(found, url=given.url, format=what, title=title)
        out["followed"] = [
            queries.discovery_json(d, url=u, format=w, title=t) for u, w, t, d in followed
        ]
        print_json(out)
    else:
        _show(given.url, what, title, found, every=args.all)
        for u, w, t, d in followed:
            print()
            _show(u, w, t, d, every=args.all)
    links = len(found.links) + sum(len(d.links) for *_, d in followed)
    if not links and not found.sitemaps:
        print(
            f"watchwire: no article links found at {args.url}"
            + (f" ({found.error})" if found.error else ""),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return EXIT_OK


def _show(url: str, what: str, title: str | None, d: Discovery, *, every: bool) -> None:
    print(f"{redact_url(url)}: {what}" + (f" “{title}”" if title else ""))
    if d.error:
        print(f"  note: {d.error}")
    print(f"  {_count(len(d.links), 'article link')}"
          + (f", newest first; the first {_SHOWN_LINKS} shown (--all for every one)"
             if len(d.links) > _SHOWN_LINKS and not every else ""))  # fmt: skip
    links = sorted(d.links, key=lambda link: iso_z(link.published_at or link.updated_at) or "",
                   reverse=True)  # fmt: skip
    for link in links if every else links[:_SHOWN_LINKS]:
        when = local_time(link.published_at or link.updated_at)
        print(f"  {when:16}  {link.url}" + (f"\n  {'':16}  {link.title}" if link.title else ""))
    for feed in d.feeds:
        print(f"  feed: {feed}")
    for sitemap in d.sitemaps:
        print(f"  sitemap: {sitemap}")
