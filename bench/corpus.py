"""What the loopback universe publishes: text, stories, article pages, feeds, and the rules.

English and Ukrainian sentences over a fixed vocabulary, with made-up people and places
(``entity_names``) so that rules can name them; stories of 8-20 paragraphs, a share mentioning
Belarus and sanctions; article pages of 50-150 KB with a real news site's chrome; RSS feeds,
news sitemaps and home pages. Everything is deterministic for a seed. ``make_rules_yaml`` writes
a rule set over the same names. ``bench.universe`` serves it.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.universe import UniverseOptions

__all__ = ["FEED_ITEMS", "NEWS_SITEMAP_ITEMS", "entity_names", "make_rules_yaml"]

FEED_ITEMS = 50
NEWS_SITEMAP_ITEMS = 1000

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
        self.feed_caches: dict[int, tuple[int, bytes, bytes]] = {}
        """Rendered feeds by section (-1: the main feed), with the article count they hold."""
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

    def feed(self, site: _Site, section: int | None = None, sections: int = 0) -> bytes:
        """The site's RSS feed of its newest items; with ``section``, of those in that section
        (article ``i`` of a site is in sections ``i % n``, ``(i+1) % n``, … — two to four of
        them: with the main feed, every article is in three to five feeds)."""
        refs = site.articles
        if section is not None:
            refs = [r for i, r in enumerate(refs) if section in _sections_of(i, sections)]
        refs = refs[-FEED_ITEMS:][::-1]
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


def _sections_of(index: int, sections: int) -> set[int]:
    if sections <= 0:
        return set()
    return {(index + t) % sections for t in range(min(2 + index % 3, sections))}
