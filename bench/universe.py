"""The loopback news universe: N sites x M articles, served from a process of its own.

Run it by hand::

    python -m bench.universe --sites 200 --articles 50 --port 0 --rate 10/s

It prints one JSON line (port, start time, feed URLs, control URL) and serves until killed.
Benchmarks start it through :class:`Universe`, which does the same as a subprocess.

Every site has its own loopback address (``127.1.x.y``; all of 127.0.0.0/8 is loopback on
Linux) on one shared port, so per-host politeness applies per site as it would on the web.
A site serves ``/robots.txt``, ``/`` (a home page with feed autodiscovery), ``/rss.xml`` (the
50 newest items), ``/sitemap.xml`` (an index) and ``/sitemap-news.xml`` (a Google News
sitemap), and its articles under ``/news/...``. Feeds and articles carry an ``ETag`` and a
``Last-Modified`` and answer ``304`` to a matching conditional GET. Bodies are gzipped when
asked (as real sites do).

Article pages are 50-150 KB like the real thing: a header with navigation, currency tickers
and "Electricity outage schedules", the article (title, lead, 8-20 paragraphs of English or
Ukrainian text naming made-up people and places, a "Recall" block), related teasers, a
most-read list, a footer, and inline CSS, JSON-LD and a large state script. A share of them
mention Belarus and sanctions; a share are syndicated copies of another site's story.

New articles appear at ``--rate`` once started (at once, after ``--rate-delay`` seconds, or
when ``POST /_universe/start`` is called), each on a pseudo-random site, published at the
moment it appears. Dynamic article ``k`` appears at ``t_start + k / rate`` exactly, and its
URL ends in ``-d{k}.html``, so a benchmark knows when every article appeared.

The control endpoints live on ``127.0.0.1``: ``GET /_universe/stats`` (request counters, CPU
seconds of this process) and ``POST /_universe/start``. ``POST /hook`` on any host is a
webhook sink that answers ``204``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

__all__ = [
    "Universe",
    "UniverseOptions",
    "entity_names",
    "make_rules_yaml",
    "parse_rate",
    "site_host",
]

REPO = Path(__file__).resolve().parent.parent
FEED_ITEMS = 50
NEWS_SITEMAP_ITEMS = 1000
GZIP_LEVEL = 1
"""nginx's default ``gzip_comp_level``."""

# --- vocabulary -------------------------------------------------------------------------------

_EN_TEXT = """
the of and to in a is that for on was with as by at from said has have will it its be are
were not this which an but their after more been also who they government minister president
officials year two new first last people country war military forces state would could
other over about when than into since talks week according agency report reports economy
economic market prices energy power grid electricity outage schedule region regional city
capital border security police court law parliament vote election party opposition leader
leaders foreign ministry defence defense support aid funding budget bank banks exports
imports trade deal agreement negotiations meeting visit statement press conference sources
told reuters interview analysts experts million billion percent growth inflation currency
rate rates central western eastern southern northern international european union allies
troops attack attacks drone drones missile missiles air defence shelling front line
villages town residents civilians killed injured damaged infrastructure repair restore
water heating winter gas oil pipeline supplies company companies industry factory workers
strike protest protesters prisoners political release released detained arrested charged
investigation prosecutors judge sentence years journalists media freedom rights human
humanitarian refugees displaced children schools hospitals doctors health ministry data
figures published survey poll majority citizens public officials plan plans proposal
reform reforms corruption case cases committee commission council decision decided
announced expected likely possible important key major significant further new latest
early late recent previous next month months day days hours morning evening night local
national global world continent neighbouring relations diplomatic diplomats embassy
ambassador envoy delegation summit partners partner cooperation joint project projects
"""

_UK_TEXT = """
і в на з що до не за як про від у та це який яка які було буде його її їх також після
під час року році роки країни країна уряд уряду міністр міністра президент президента
влада влади область області місто міста столиці кордону безпеки поліція суд закон
парламент депутати вибори партія опозиція лідер іноземних справ оборони підтримка
допомога фінансування бюджет банк банки експорт імпорт торгівля угода переговори
зустріч візит заява пресконференції джерела повідомили інтерв'ю аналітики експерти
мільйонів мільярдів відсотків зростання інфляція валюта курс центральний західні
європейський союз союзники війська атака атаки дрони ракети ППО обстріл фронт села
мешканці цивільні загинули поранені пошкоджено інфраструктура ремонт відновлення вода
опалення зима газ нафта трубопровід постачання компанія компанії промисловість завод
працівники страйк протест в'язні політичні звільнення затримали заарештували
розслідування прокурори суддя вирок журналісти медіа свобода права людини гуманітарна
біженці діти школи лікарні лікарі здоров'я дані опитування громадяни план пропозиція
реформа реформи корупція справа комітет комісія рада рішення оголосили очікується
важливо ключовий значний новий останній ранок вечір ніч місцевий національний світ
відносини дипломати посольство посол делегація саміт партнери співпраця проєкт
енергетика електроенергія графіки відключень світла енергосистема ціни ринок
"""
_EN_WORDS = _EN_TEXT.split()
_UK_WORDS = _UK_TEXT.split()
_EN_SYLL = (
    "ka",
    "ro",
    "len",
    "vi",
    "mar",
    "tos",
    "bel",
    "dan",
    "gre",
    "hol",
    "ith",
    "ven",
    "cor",
    "sal",
    "mir",
    "tan",
    "ber",
    "lo",
    "va",
    "nis",
    "pel",
    "dor",
)
_UK_SYLL = (
    "ко",
    "ва",
    "лен",
    "ро",
    "ми",
    "бо",
    "да",
    "ше",
    "ни",
    "ку",
    "та",
    "гор",
    "ряд",
    "сак",
    "віт",
    "пол",
    "зар",
    "дон",
    "лук",
    "мос",
    "тер",
    "хим",
)

_BELARUS_EN = [
    "Belarus faces new sanctions after the latest crackdown on political prisoners, "
    "officials in Brussels said on {day}.",
    "The United States is ready to ease sanctions on Belarusian potash exports if Minsk "
    "releases more political prisoners, diplomats told reporters.",
    "Lithuania urged the European Union to extend sanctions on Belarus over the migrant "
    "crisis on the border.",
]
_BELARUS_UK = [
    "Євросоюз готує нові санкції проти Білорусі через підтримку російської агресії, "
    "повідомили дипломати.",
    "США можуть послабити санкції щодо білоруського калію в обмін на звільнення "
    "політв'язнів, пишуть ЗМІ.",
]

_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def entity_names(lang: str, n: int, *, seed: int = 7) -> list[str]:
    """``n`` distinct made-up proper names (people, places) in Latin or Cyrillic letters."""
    rng = random.Random(f"{seed}:{lang}:entities")
    syll = _EN_SYLL if lang == "en" else _UK_SYLL
    seen: dict[str, None] = {}
    while len(seen) < n:
        name = "".join(rng.choice(syll) for _ in range(rng.choice((2, 3, 3, 4))))
        seen.setdefault(name.capitalize(), None)
    return list(seen)


@dataclass(slots=True)
class _Lang:
    """Pre-generated sentence templates (``%s`` = an entity slot) for one language."""

    code: str
    sentences: list[tuple[str, int]]
    entities: list[str]
    belarus: list[str]


def _make_lang(code: str, *, seed: int, n_sentences: int = 8000, n_entities: int = 10000) -> _Lang:
    rng = random.Random(f"{seed}:{code}:sentences")
    words = _EN_WORDS if code == "en" else _UK_WORDS
    sentences: list[tuple[str, int]] = []
    for _ in range(n_sentences):
        length = rng.randint(10, 28)
        out: list[str] = []
        slots = 0
        for i in range(length):
            if rng.random() < 0.07:
                out.append("%s")
                slots += 1
            else:
                out.append(rng.choice(words))
            if i and i < length - 2 and rng.random() < 0.06:
                out[-1] += ","
        first = out[0]
        out[0] = first if first == "%s" else first.capitalize()
        sentences.append((" ".join(out) + rng.choice(".....!?"), slots))
    return _Lang(
        code=code,
        sentences=sentences,
        entities=entity_names(code, n_entities, seed=seed),
        belarus=_BELARUS_EN if code == "en" else _BELARUS_UK,
    )


# --- articles ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Story:
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    lang: str


def _story(lang: _Lang, key: str, *, belarus: bool) -> _Story:
    rng = random.Random(key)
    ents = lang.entities
    picks = [ents[rng.randrange(len(ents))] for _ in range(rng.randint(4, 12))]

    def sentence() -> str:
        tmpl, slots = lang.sentences[rng.randrange(len(lang.sentences))]
        if not slots:
            return tmpl
        return tmpl % tuple(rng.choice(picks) for _ in range(slots))

    paragraphs = [
        " ".join(sentence() for _ in range(rng.randint(2, 6))) for _ in range(rng.randint(8, 20))
    ]
    if belarus:
        at = rng.randrange(len(paragraphs))
        paragraphs[at] += " " + rng.choice(lang.belarus).format(day=rng.choice(_DAYS))
    title = sentence().rstrip(".!?")
    words = title.split()
    title = " ".join(words[: rng.randint(7, 14)])
    if rng.random() < 0.5:
        title = f"{picks[0]}: {title}"
    lead = sentence() + " " + sentence()
    return _Story(title=title, lead=lead, paragraphs=tuple(paragraphs), lang=lang.code)


@dataclass(frozen=True, slots=True)
class _ArticleRef:
    site: int
    key: str
    """``i{site}-{j}`` for the initial articles, ``d{k}`` for dynamic ones."""
    published: float
    story_site: int
    """The site whose story this is (another one for a syndicated copy)."""
    story_key: str


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def _httpdate(t: float) -> str:
    return formatdate(t, usegmt=True)


_CSS = (
    "body{margin:0;font-family:Georgia,serif;color:#222}header{background:#0b2a4a;color:#fff}"
    ".nav a{color:#fff;margin:0 6px;text-decoration:none}.ticker span{margin-right:12px}"
    ".article-body p{line-height:1.6;margin:0 0 1em}.related li,.most-read li{margin:4px 0}"
    "footer{background:#111;color:#aaa;padding:24px}.views{color:#888}.recall{border-left:4px "
    "solid #c00;padding-left:12px}"
) * 12


class _Site:
    """One site's chrome, pre-rendered, and its articles."""

    def __init__(self, index: int, host: str, lang: _Lang, rng: random.Random) -> None:
        self.index = index
        self.host = host
        self.lang = lang
        self.name = f"{rng.choice(lang.entities)} News {index}"
        self.base = f"http://{host}"
        self.articles: list[_ArticleRef] = []
        self.feed_cache: tuple[int, bytes, bytes] | None = None
        nav = "".join(
            f'<a href="/section/{w}">{w.capitalize()}</a>'
            for w in rng.sample(_EN_WORDS if lang.code == "en" else _UK_WORDS, 40)
        )
        ticker = "".join(
            f"<span>{cur} {rng.uniform(30, 50):.2f} {rng.uniform(-1, 1):+.2f}</span>"
            for cur in ("USD", "EUR", "PLN", "GBP", "CHF")
        )
        self.header = (
            f'<header><div class="logo"><a href="/">{self.name}</a></div>'
            f'<nav class="nav">{nav}</nav><div class="ticker">{ticker}</div>'
            '<div class="outages"><a href="/outages">Electricity outage schedules</a></div>'
            '<form class="search" action="/search"><input name="q"></form></header>'
        )
        links = "".join(
            f'<li><a href="/page/{w}">{w.capitalize()}</a></li>' for w in rng.sample(_EN_WORDS, 30)
        )
        self.footer = (
            f'<footer><ul class="links">{links}</ul><p>© 2026 {self.name}. All rights reserved. '
            "Use of materials is allowed only with a hyperlink to the source. 01001, Kyiv, "
            'Example street 1. Tel. +380 44 000 00 00.</p><div class="social"><a href="#">'
            'Facebook</a> <a href="#">Telegram</a> <a href="#">X</a></div></footer>'
        )
        # A big inline state blob, sliced per article for the 50-150 KB range.
        items = [
            json.dumps(
                {
                    "id": rng.randrange(10**9),
                    "title": " ".join(rng.sample(_EN_WORDS, 9)),
                    "img": f"/img/{rng.randrange(10**6)}.jpg",
                    "views": rng.randrange(10**5),
                },
            )
            for _ in range(1200)
        ]
        self.state_items = items
        self.analytics = (
            "<script>(function(w,d){w.dataLayer=w.dataLayer||[];function g(){dataLayer.push("
            "arguments)}g('js',new Date());g('config','G-XXXX');var s=d.createElement('script');"
            "s.async=1;s.src='/static/ads.js';d.head.appendChild(s)})(window,document);</script>"
        )

    def url(self, ref: _ArticleRef) -> str:
        day = time.strftime("%Y/%m/%d", time.gmtime(ref.published))
        return f"{self.base}/news/{day}/story-{ref.key}.html"


class _Generator:
    """Renders every page of the universe from templates; deterministic for a seed."""

    def __init__(self, opts: UniverseOptions, hosts: Sequence[str], t0: float) -> None:
        self.opts = opts
        self.langs = {c: _make_lang(c, seed=opts.seed) for c in ("en", "uk")}
        rng = random.Random(f"{opts.seed}:sites")
        self.sites = [
            _Site(i, host, self.langs["uk" if rng.random() < 0.4 else "en"], rng)
            for i, host in enumerate(hosts)
        ]
        self.by_key: dict[str, _ArticleRef] = {}
        self._stories: dict[str, _Story] = {}
        spacing = opts.initial_span / max(opts.articles, 1)
        for site in self.sites:
            offset = rng.uniform(0, spacing)
            for j in range(opts.articles):
                published = t0 - opts.initial_age - (opts.articles - 1 - j) * spacing - offset
                self._add(site.index, f"i{site.index}-{j}", published)
        self.t_start: float | None = None
        self.dynamic = 0

    def _add(self, site: int, key: str, published: float) -> None:
        rng = random.Random(f"{self.opts.seed}:{key}:meta")
        story_site, story_key = site, key
        if len(self.sites) > 1 and rng.random() < self.opts.dup_fraction and self.by_key:
            # A syndicated copy of a story already out on another site.
            other = self.by_key[rng.choice(list(self.by_key)[-200:])]
            if other.site != site:
                story_site, story_key = other.story_site, other.story_key
        ref = _ArticleRef(site, key, published, story_site, story_key)
        self.sites[site].articles.append(ref)
        self.by_key[key] = ref

    # dynamic articles appear by the clock: article k at t_start + k / rate
    def advance(self, now: float) -> None:
        if self.t_start is None or self.opts.rate <= 0:
            return
        due = int((now - self.t_start) * self.opts.rate) + 1
        if self.opts.rate_count is not None:
            due = min(due, self.opts.rate_count)
        while self.dynamic < due:
            k = self.dynamic
            site = random.Random(f"{self.opts.seed}:d{k}").randrange(len(self.sites))
            self._add(site, f"d{k}", self.t_start + k / self.opts.rate)
            self.dynamic += 1

    def story(self, ref: _ArticleRef) -> _Story:
        cached = self._stories.get(ref.story_key)
        if cached is None:
            cached = self._stories[ref.story_key] = self._make_story(ref)
        return cached

    def _make_story(self, ref: _ArticleRef) -> _Story:
        lang = self.sites[ref.story_site].lang
        rng = random.Random(f"{self.opts.seed}:{ref.story_key}:b")
        dynamic = ref.story_key.startswith("d")
        share = self.opts.dynamic_belarus if dynamic else self.opts.belarus_fraction
        return _story(lang, f"{self.opts.seed}:{ref.story_key}", belarus=rng.random() < share)

    def article_html(self, ref: _ArticleRef) -> bytes:
        site = self.sites[ref.site]
        st = self.story(ref)
        rng = random.Random(f"{self.opts.seed}:{ref.key}:page")
        url = site.url(ref)
        iso = _iso(ref.published)
        recent = site.articles[-12:]
        teasers = [self.story(r) for r in recent[:6] if r is not ref]
        related = "".join(
            f'<li><a href="{site.url(r)}"><h3>{t.title}</h3></a><p>{t.lead[:180]}</p></li>'
            for r, t in zip(recent, teasers, strict=False)
        )
        most_read = "".join(
            f'<li><a href="{site.url(r)}">{self.story(r).title}</a> '
            f'<span class="views">{rng.randrange(100, 90000)}</span></li>'
            for r in recent[6:12]
        )
        body = "".join(f"<p>{p}</p>" for p in st.paragraphs)
        ld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": st.title,
                "datePublished": iso,
                "dateModified": iso,
                "inLanguage": st.lang,
                "author": {"@type": "Person", "name": "Staff reporter"},
                "publisher": {"@type": "Organization", "name": site.name},
                "mainEntityOfPage": url,
            },
            ensure_ascii=False,
        )
        head = (
            f'<!DOCTYPE html><html lang="{st.lang}"><head><meta charset="utf-8">'
            f"<title>{st.title} | {site.name}</title>"
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<link rel="canonical" href="{url}"><meta property="og:type" content="article">'
            f'<meta property="og:title" content="{st.title}">'
            f'<meta property="og:url" content="{url}">'
            f'<meta property="article:published_time" content="{iso}">'
            f'<meta name="description" content="{st.lead[:200]}">'
            '<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">'
            f'<script type="application/ld+json">{ld}</script><style>{_CSS}</style></head><body>'
        )
        main = (
            f'{site.header}<main class="layout"><article class="post"><h1>{st.title}</h1>'
            f'<div class="meta">{site.name} • <time datetime="{iso}">{iso[:16]}</time> • '
            f'<span class="views">{rng.randrange(100, 90000)} views</span></div>'
            f'<p class="lead"><strong>{st.lead}</strong></p>'
            f'<div class="article-body">{body}</div>'
            f'<div class="recall"><b>Recall</b> <a href="{site.url(recent[0])}">'
            f"{teasers[0].title if teasers else st.title}</a></div>"
            f'<div class="tags"><a href="/tag/politics">politics</a> '
            f'<a href="/tag/economy">economy</a></div></article>'
            f'<aside class="related"><h2>Related</h2><ul>{related}</ul></aside>'
            f'<aside class="most-read"><h2>Most read</h2><ul>{most_read}</ul></aside>'
            f"</main>{site.footer}{site.analytics}"
        )
        size = len(head) + len(main) + 40  # characters; close to bytes for the blob (ASCII)
        target = rng.randint(50_000, 150_000)
        items, have = [], size
        for item in site.state_items[rng.randrange(200) :]:
            if have >= target:
                break
            items.append(item)
            have += len(item) + 1
        state = f'<script>window.__STATE__={{"items":[{",".join(items)}]}};</script>'
        return (head + main + state + "</body></html>").encode()

    def feed(self, site: _Site) -> bytes:
        refs = site.articles[-FEED_ITEMS:][::-1]
        items = []
        for ref in refs:
            st = self.story(ref)
            url = site.url(ref)
            items.append(
                f"<item><title>{st.title}</title><link>{url}</link>"
                f'<guid isPermaLink="true">{url}</guid><pubDate>{_httpdate(ref.published)}'
                f"</pubDate><description>{st.lead}</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{site.name}</title><link>{site.base}/</link>"
            f"<description>News from {site.name}</description>"
            f"<language>{site.lang.code}</language>{''.join(items)}</channel></rss>"
        ).encode()

    def news_sitemap(self, site: _Site) -> bytes:
        urls = "".join(
            f"<url><loc>{site.url(r)}</loc><news:news><news:publication><news:name>{site.name}"
            f"</news:name><news:language>{site.lang.code}</news:language></news:publication>"
            f"<news:publication_date>{_iso(r.published)}</news:publication_date>"
            f"<news:title>{self.story(r).title}</news:title></news:news></url>"
            for r in site.articles[-NEWS_SITEMAP_ITEMS:][::-1]
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
            'schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>"
        ).encode()

    def home(self, site: _Site) -> bytes:
        links = "".join(
            f'<li><a href="{site.url(r)}">{self.story(r).title}</a></li>'
            for r in site.articles[-30:][::-1]
        )
        return (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{site.name}</title>'
            '<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body>'
            f"{site.header}<main><ul>{links}</ul></main>{site.footer}</body></html>"
        ).encode()


# --- the server -------------------------------------------------------------------------------

_REASONS = {
    200: b"OK",
    204: b"No Content",
    304: b"Not Modified",
    404: b"Not Found",
    400: b"Bad Request",
    405: b"Method Not Allowed",
}
_ARTICLE = re.compile(r"^/news/\d{4}/\d\d/\d\d/story-([id][\d-]+)\.html$")


@dataclass(slots=True)
class _Stats:
    counts: dict[str, int] = field(default_factory=dict)
    bytes_out: int = 0
    connections: int = 0

    def hit(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


class _Server:
    def __init__(self, gen: _Generator, port: int, opts: UniverseOptions) -> None:
        self.gen = gen
        self.opts = opts
        self.stats = _Stats()
        self.gz_cache: dict[str, tuple[bytes, bytes]] = {}
        self.site_by_host: dict[bytes, int] = {}
        for site in gen.sites:
            self.site_by_host[site.host.encode()] = site.index
            self.site_by_host[site.host.split(":")[0].encode()] = site.index
        self.port = port
        self.t0 = time.time()

    def pregenerate(self) -> None:
        """Render and gzip every article now, on every core (forked workers share ``gen``)."""
        global _FORKED
        _FORKED = self.gen
        keys = list(self.gen.by_key)
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(os.cpu_count() or 1) as pool:
            for key, page in zip(keys, pool.imap(_render, keys, chunksize=64), strict=True):
                self.gz_cache[key] = page
        _FORKED = None

    def respond(
        self, method: bytes, target: bytes, headers: dict[bytes, bytes], body: bytes
    ) -> bytes:
        path = target.split(b"?", 1)[0].decode("latin-1")
        if path.startswith("/_universe/"):
            return self._control(method, path)
        if path == "/hook":
            self.stats.hit("hook")
            return _response(204, b"")
        if method not in (b"GET", b"HEAD"):
            return _response(405, b"")
        site_index = self.site_by_host.get(headers.get(b"host", b""))
        if site_index is None:
            self.stats.hit("unknown_host")
            return _response(404, b"no such site")
        site = self.gen.sites[site_index]
        self.gen.advance(time.time())
        gz = b"gzip" in headers.get(b"accept-encoding", b"")
        if path == "/rss.xml":
            n = len(site.articles)
            cached = site.feed_cache
            if cached is None or cached[0] != n:
                raw = self.gen.feed(site)
                cached = site.feed_cache = (n, raw, gzip.compress(raw, GZIP_LEVEL))
            etag = f'"f{site_index}-{n}"'.encode()
            modified = _httpdate(site.articles[-1].published if site.articles else self.t0)
            return self._conditional(
                "feed",
                headers,
                etag,
                modified.encode(),
                b"application/rss+xml; charset=utf-8",
                cached[2] if gz else cached[1],
                gzipped=gz,
            )
        m = _ARTICLE.match(path)
        if m:
            ref = self.gen.by_key.get(m.group(1))
            if ref is None or ref.site != site_index:
                self.stats.hit("not_found")
                return _response(404, b"not found")
            cached_page = self.gz_cache.get(ref.key)
            if cached_page is not None and gz:
                content, etag = cached_page
            else:
                content = self.gen.article_html(ref)
                etag = _etag(content)
                if gz:
                    content = gzip.compress(content, GZIP_LEVEL)
            return self._conditional(
                "article",
                headers,
                etag,
                _httpdate(ref.published).encode(),
                b"text/html; charset=utf-8",
                content,
                gzipped=gz,
            )
        if path == "/robots.txt":
            self.stats.hit("robots")
            text = f"User-agent: *\nDisallow: /search\nSitemap: {site.base}/sitemap.xml\n"
            return _response(200, text.encode(), b"text/plain")
        if path == "/sitemap.xml":
            self.stats.hit("sitemap")
            text = (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps'
                f'.org/schemas/sitemap/0.9"><sitemap><loc>{site.base}/sitemap-news.xml</loc>'
                "</sitemap></sitemapindex>"
            )
            return _response(200, text.encode(), b"application/xml")
        if path == "/sitemap-news.xml":
            self.stats.hit("sitemap")
            return _response(200, self.gen.news_sitemap(site), b"application/xml")
        if path == "/":
            self.stats.hit("home")
            return _response(200, self.gen.home(site), b"text/html; charset=utf-8")
        self.stats.hit("not_found")
        return _response(404, b"not found")

    def _conditional(
        self,
        kind: str,
        headers: dict[bytes, bytes],
        etag: bytes,
        modified: bytes,
        ctype: bytes,
        content: bytes,
        *,
        gzipped: bool,
    ) -> bytes:
        inm = headers.get(b"if-none-match")
        if (inm is not None and etag in inm) or (
            inm is None and headers.get(b"if-modified-since") == modified
        ):
            self.stats.hit(f"{kind}_304")
            return _response(304, b"", extra=b"ETag: " + etag + b"\r\n", empty=True)
        self.stats.hit(f"{kind}_200")
        extra = b"ETag: " + etag + b"\r\nLast-Modified: " + modified + b"\r\n"
        if gzipped:
            extra += b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
        return _response(200, content, ctype, extra=extra)

    def _control(self, method: bytes, path: str) -> bytes:
        if path == "/_universe/start" and method == b"POST":
            if self.gen.t_start is None:
                self.gen.t_start = time.time()
            return _json(200, {"t_start": self.gen.t_start, "rate": self.opts.rate})
        if path == "/_universe/stats":
            self.gen.advance(time.time())
            usage = os.times()
            return _json(
                200,
                {
                    "counts": self.stats.counts,
                    "bytes_out": self.stats.bytes_out,
                    "connections": self.stats.connections,
                    "cpu_s": usage.user + usage.system,
                    "t_start": self.gen.t_start,
                    "dynamic": self.gen.dynamic,
                    "uptime_s": time.time() - self.t0,
                },
            )
        return _response(404, b"")


_FORKED: _Generator | None = None
"""The generator, for the forked workers of ``pregenerate``."""


def _render(key: str) -> tuple[bytes, bytes]:
    assert _FORKED is not None
    raw = _FORKED.article_html(_FORKED.by_key[key])
    return gzip.compress(raw, GZIP_LEVEL), _etag(raw)


def _etag(content: bytes) -> bytes:
    return b'"%08x-%x"' % (zlib.crc32(content), len(content))


def _json(status: int, payload: dict[str, Any]) -> bytes:
    return _response(status, json.dumps(payload).encode(), b"application/json")


def _response(
    status: int,
    content: bytes,
    ctype: bytes = b"text/plain",
    *,
    extra: bytes = b"",
    empty: bool = False,
) -> bytes:
    head = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"X"))
    if not empty and status != 204:
        head += b"Content-Type: " + ctype + b"\r\nContent-Length: %d\r\n" % len(content)
    return head + extra + b"Server: watchwire-universe\r\n\r\n" + content


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, GET and small POSTs: just enough, and cheap."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.stats.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        transport = self.transport
        assert transport is not None
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    transport.close()
                return
            lines = self.buf[:end].split(b"\r\n")
            try:
                method, target, version = lines[0].split(b" ", 2)
            except ValueError:
                transport.write(_response(400, b"bad request"))
                transport.close()
                return
            headers: dict[bytes, bytes] = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0") or 0)
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4 : end + 4 + length]
            self.buf = self.buf[end + 4 + length :]
            out = self.server.respond(method, target, headers, body)
            if method == b"HEAD":
                out = out[: out.find(b"\r\n\r\n") + 4]
            self.server.stats.bytes_out += len(out)
            close = headers.get(b"connection", b"").lower() == b"close" or version == b"HTTP/1.0"
            transport.write(out)
            if close:
                transport.close()
                return


def site_host(index: int) -> str:
    """The loopback address of site ``index``: 127.1.0.1, 127.1.0.2, …, 127.1.1.1, …"""
    return f"127.1.{index // 250}.{index % 250 + 1}"


async def _bind(server_factory: Any, n: int, port: int) -> tuple[list[asyncio.Server], int]:
    loop = asyncio.get_running_loop()
    for _attempt in range(20):
        servers: list[asyncio.Server] = []
        try:
            first = await loop.create_server(server_factory, "127.0.0.1", port, backlog=1024)
            servers.append(first)
            bound = first.sockets[0].getsockname()[1]
            servers += [
                await loop.create_server(server_factory, site_host(i), bound, backlog=1024)
                for i in range(n)
            ]
        except OSError:
            for s in servers:
                s.close()
            if port:
                raise
            continue
        return servers, bound
    raise OSError("could not bind the same port on every site address")


@dataclass(frozen=True, slots=True, kw_only=True)
class UniverseOptions:
    sites: int = 10
    articles: int = 50
    """Initial articles per site."""
    port: int = 0
    seed: int = 1
    rate: float = 0.0
    """New articles per second across all sites, once started."""
    rate_delay: float | None = None
    """Start new articles this many seconds after the server is up (None: on POST /start)."""
    rate_count: int | None = None
    """Stop after this many new articles."""
    initial_age: float = 600.0
    """Seconds between the newest initial article and the start."""
    initial_span: float = 6 * 3600.0
    """Seconds over which a site's initial articles were published."""
    belarus_fraction: float = 0.05
    dynamic_belarus: float = 1.0
    """Share of new articles that mention Belarus and sanctions (they are what alerts)."""
    dup_fraction: float = 0.02
    pregenerate: bool = False
    """Render and gzip every initial article before serving (the server then costs less)."""

    def argv(self) -> list[str]:
        out = [
            "--sites",
            str(self.sites),
            "--articles",
            str(self.articles),
            "--port",
            str(self.port),
            "--seed",
            str(self.seed),
            "--rate",
            str(self.rate),
            "--initial-age",
            str(self.initial_age),
            "--initial-span",
            str(self.initial_span),
            "--belarus-fraction",
            str(self.belarus_fraction),
            "--dynamic-belarus",
            str(self.dynamic_belarus),
            "--dup-fraction",
            str(self.dup_fraction),
        ]
        if self.rate_delay is not None:
            out += ["--rate-delay", str(self.rate_delay)]
        if self.rate_count is not None:
            out += ["--rate-count", str(self.rate_count)]
        if self.pregenerate:
            out.append("--pregenerate")
        return out


async def serve(opts: UniverseOptions, *, announce: Any = print) -> None:
    t_begin = time.time()
    gen_holder: dict[str, _Server] = {}
    servers, port = await _bind(lambda: _Protocol(gen_holder["s"]), opts.sites, opts.port)
    hosts = [f"{site_host(i)}:{port}" for i in range(opts.sites)]
    gen = _Generator(opts, hosts, t_begin)
    server = _Server(gen, port, opts)
    gen_holder["s"] = server
    if opts.pregenerate:
        server.pregenerate()
    if opts.rate_delay is not None:
        gen.t_start = time.time() + opts.rate_delay
    setup_cpu = sum(os.times()[:2])
    announce(
        json.dumps(
            {
                "pid": os.getpid(),
                "port": port,
                "t0": t_begin,
                "setup_s": time.time() - t_begin,
                "setup_cpu_s": setup_cpu,
                "control": f"http://127.0.0.1:{port}",
                "hook": f"http://127.0.0.1:{port}/hook",
                "t_start": gen.t_start,
                "feeds": [f"http://{h}/rss.xml" for h in hosts],
            }
        )
    )
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for s in servers:
            s.close()


# --- the client side: start it as a subprocess -------------------------------------------------


def parse_rate(text: str) -> float:
    """``10/s``, ``30/m``, ``600/h`` or a bare number of articles per second."""
    m = re.fullmatch(r"\s*([\d.]+)\s*(?:/\s*([smh]))?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"bad rate {text!r}: use 10/s, 30/m or 600/h")
    return float(m.group(1)) / {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


class Universe:
    """``with Universe(UniverseOptions(...)) as u:`` a running universe in a subprocess."""

    def __init__(self, opts: UniverseOptions, *, startup_timeout: float = 300.0) -> None:
        self.opts = opts
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    def __enter__(self) -> Universe:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.universe", *self.opts.argv()],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        os.set_blocking(self.proc.stdout.fileno(), True)
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    self.__exit__(None, None, None)
                    raise RuntimeError("the universe did not start")
                if sel.select(timeout=min(left, 1.0)):
                    line = self.proc.stdout.readline()
                    if line.startswith("{"):
                        self.info = json.loads(line)
                        break
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def feeds(self) -> list[str]:
        return list(self.info["feeds"])

    @property
    def hook(self) -> str:
        return str(self.info["hook"])

    def _call(self, method: str, path: str) -> dict[str, Any]:
        req = urllib.request.Request(self.info["control"] + path, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return dict(json.loads(resp.read()))

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_universe/stats")

    def start_new_articles(self) -> float:
        """Start the clock of new articles; returns ``t_start`` (epoch seconds)."""
        return float(self._call("POST", "/_universe/start")["t_start"])


def appeared_at(url: str, t_start: float, rate: float) -> float | None:
    """When the dynamic article at ``url`` appeared (None for an initial article)."""
    m = re.search(r"-d(\d+)\.html", url)
    return None if m is None else t_start + int(m.group(1)) / rate


# --- rules ------------------------------------------------------------------------------------


def _rule_query(rng: random.Random, en: list[str], uk: list[str]) -> str:
    ents = en if rng.random() < 0.6 else uk
    words = _EN_WORDS if ents is en else _UK_WORDS

    def e() -> str:
        return ents[rng.randrange(len(ents))]

    r = rng.random()
    if r < 0.03:
        return e()
    if r < 0.05:
        return f"{e()} OR {e()}"
    if r < 0.40:
        return f"{e()} AND {e()}"
    if r < 0.55:
        return f'"{e()} {rng.choice(words)}"'
    if r < 0.65:
        return f"{e()[:-2]}* AND ({e()} OR {e()})"
    if r < 0.75:
        return f"{e()} NEAR/10 {e()}"
    if r < 0.82:
        return f"title:{e()} AND {rng.choice(words)}"
    if r < 0.90:
        return f"{e()} AND {e()} -{e()}"
    return f"({e()} OR {e()}) AND @sanctions"


def make_rules_yaml(
    n: int, *, seed: int = 7, notify: Sequence[str] = ("hook",), universe_seed: int = 1
) -> str:
    """``terms:`` and ``rules:`` of a config with ``n`` keyword rules over the universe's names.

    Rules name the universe's made-up people and places in pairs, phrases, prefixes, NEAR and
    NOT, with a few single names and the Belarus + sanctions rule of DESIGN.md: like a real
    monitoring rule set, most rules rarely match and a few match often.
    """
    rng = random.Random(f"{seed}:rules")
    en = entity_names("en", 10000, seed=universe_seed)
    uk = entity_names("uk", 10000, seed=universe_seed)
    lines = [
        "terms:",
        "  belarus: [Belarus, Belarusian*, Lukashenk*, Беларус*, Білорус*, Лукашенк*]",
        "  sanctions: [sanction*, санкці*, санкци*]",
        "rules:",
        "  - name: belarus-sanctions",
        "    query: '@belarus AND @sanctions'",
        "    within: paragraph",
        f"    notify: [{', '.join(notify)}]",
    ]
    targets = ", ".join(notify)
    for i in range(1, n):
        q = _rule_query(rng, en, uk).replace("'", "''")
        lines += [f"  - name: r{i}", f"    query: '{q}'", f"    notify: [{targets}]"]
        lines += ["    within: paragraph"] if rng.random() < 0.1 else []
    return "\n".join(lines) + "\n"


# --- command line -----------------------------------------------------------------------------


def _parse(argv: Sequence[str] | None) -> UniverseOptions:
    p = argparse.ArgumentParser(prog="python -m bench.universe", description=__doc__.split("\n")[0])
    p.add_argument("--sites", type=int, default=10)
    p.add_argument("--articles", type=int, default=50, help="initial articles per site")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rate", type=parse_rate, default=0.0, help="new articles: 10/s, 30/m")
    p.add_argument(
        "--rate-delay",
        type=float,
        default=None,
        help="seconds before new articles start (default: on POST /_universe/start)",
    )
    p.add_argument("--rate-count", type=int, default=None)
    p.add_argument("--initial-age", type=float, default=600.0)
    p.add_argument("--initial-span", type=float, default=6 * 3600.0)
    p.add_argument("--belarus-fraction", type=float, default=0.05)
    p.add_argument("--dynamic-belarus", type=float, default=1.0)
    p.add_argument("--dup-fraction", type=float, default=0.02)
    p.add_argument("--pregenerate", action="store_true")
    a = p.parse_args(argv)
    return UniverseOptions(
        sites=a.sites,
        articles=a.articles,
        port=a.port,
        seed=a.seed,
        rate=a.rate,
        rate_delay=a.rate_delay,
        rate_count=a.rate_count,
        initial_age=a.initial_age,
        initial_span=a.initial_span,
        belarus_fraction=a.belarus_fraction,
        dynamic_belarus=a.dynamic_belarus,
        dup_fraction=a.dup_fraction,
        pregenerate=a.pregenerate,
    )


def main(argv: Sequence[str] | None = None) -> None:
    opts = _parse(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(opts))


if __name__ == "__main__":
    main()
