"""Rules engine benchmark: milliseconds per 1,000-word article for 100 … 100,000 rules.

Articles are the 90 real news bodies of ``tests/data/extraction/ground-truth.json``, each
padded with the next ones (or cut) to exactly 1,000 words. Rules are synthetic but shaped like
real ones: keywords drawn from the corpus vocabulary (rare words far more than common ones,
as entity names are), invented names that occur nowhere (most rules of a large deployment
are about something else), prefixes, phrases taken from the text, term sets shared between
rules, NEAR, NOT, field qualifiers, and sentence/paragraph/N-word windows.

    .venv/bin/python bench/bench_rules.py [--sizes 100,1000,10000,100000] [--repeat 5]
    .venv/bin/python bench/bench_rules.py --frequencies   # plain vs word-frequency anchoring

One core, one process; the figure is the median (and p90) over articles of the best of
``--repeat`` runs of ``RuleSet.match`` on that article. ``RuleSet.match`` decides which rules
match; each match's spans and snippet are built when first read (the service reads them only
for the alerts it writes), so a second pair of columns, ``+spans``, times ``RuleSet.match``
followed by reading every match's spans and snippet: the cost when all of them are rendered.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

from watchwire.config import RuleConfig
from watchwire.models import Article
from watchwire.rules import WordFrequencies, compile_rules
from watchwire.rules.tokens import words

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "extraction" / "ground-truth.json"
WORDS_PER_ARTICLE = 1000


def load_bodies() -> list[str]:
    bodies = [v["articleBody"] for v in json.loads(CORPUS.read_text("utf-8")).values()]
    return [b for b in bodies if b and len(b.split()) > 50]


def load_articles(bodies: list[str] | None = None) -> list[Article]:
    """One 1,000-word article per body, padded with the bodies after it (wrapping around)."""
    bodies = load_bodies() if bodies is None else bodies
    out: list[Article] = []
    for i, _ in enumerate(bodies):
        paragraphs: list[str] = []
        count = 0
        j = i
        while count < WORDS_PER_ARTICLE:
            for para in bodies[j % len(bodies)].split("\n"):
                para = para.strip()
                if not para:
                    continue
                need = WORDS_PER_ARTICLE - count
                ws = para.split()
                if len(ws) > need:
                    para = " ".join(ws[:need])
                paragraphs.append(para)
                count += min(len(ws), need)
                if count >= WORDS_PER_ARTICLE:
                    break
            j += 1
        title = " ".join(paragraphs[0].split()[:10])
        lead = paragraphs[0]
        body = tuple(paragraphs[1:])
        out.append(
            Article(title=title, lead=lead, paragraphs=body, text="\n\n".join(body), language="en")
        )
    return out


def make_rules(n: int, articles: list[Article], seed: int = 6) -> tuple[list[RuleConfig], dict]:
    rnd = random.Random(seed)
    counts: Counter[str] = Counter()
    bigrams: list[str] = []
    for a in articles:
        ws = words(a.text)
        counts.update(ws)
        bigrams.extend(f"{x} {y}" for x, y in pairwise(ws) if len(x) > 3)
    ranked = [w for w, _ in counts.most_common() if len(w) > 2 and not w.isdigit()]
    common, rare = ranked[:1000], ranked[1000:]

    def invented() -> str:
        syll = ["ka", "lo", "mir", "ven", "dor", "sta", "bel", "rus", "ko", "zan", "tri", "nov"]
        return "".join(rnd.choice(syll) for _ in range(rnd.randint(2, 4)))

    def keyword() -> str:
        r = rnd.random()
        if r < 0.45:
            return invented()
        if r < 0.95:
            return rnd.choice(rare)
        return rnd.choice(common)

    terms = {
        f"set{k}": [keyword(), keyword()[:5] + "*", invented(), invented().capitalize() + "*"]
        for k in range(max(10, n // 200))
    }
    term_names = list(terms)
    rules: list[RuleConfig] = []
    for i in range(n):
        r = rnd.random()
        within = "article"
        if r < 0.30:
            q = f"{keyword()} AND {keyword()}"
        elif r < 0.42:
            q = f"{keyword()} {keyword()} {keyword()}"
        elif r < 0.52:
            q = f"{keyword()[:5]}* {keyword()}"
        elif r < 0.62:
            q = f'"{rnd.choice(bigrams)}" {keyword()}'
        elif r < 0.72:
            q = f"({keyword()} OR {keyword()} OR {keyword()}) AND {keyword()}"
        elif r < 0.82:
            q = f"@{rnd.choice(term_names)} AND {keyword()}"
        elif r < 0.88:
            q = f"{keyword()} NEAR/5 {keyword()}"
        elif r < 0.94:
            q = f"{keyword()} {keyword()} -{keyword()}"
        else:
            q = f"title:{keyword()} {keyword()}"
        w = rnd.random()
        if w < 0.10:
            within = "sentence"
        elif w < 0.15:
            within = "paragraph"
        elif w < 0.20:
            within = "20 words"
        rules.append(RuleConfig(name=f"r{i}", query=q, within=within))  # type: ignore[arg-type]
    return rules, terms


def measure(
    n: int,
    articles: list[Article],
    repeat: int,
    *,
    vocabulary: list[Article] | None = None,
    frequencies: WordFrequencies | None = None,
) -> dict[str, float]:
    """Per article, the best of ``repeat`` runs of ``RuleSet.match`` alone (``median``,
    ``p90``), and of ``RuleSet.match`` with every match's spans and snippet read
    (``full_median``, ``full_p90``): the engine builds those on first use."""
    rules, terms = make_rules(n, vocabulary or articles)
    t0 = time.perf_counter()
    ruleset = compile_rules(rules, terms, frequencies=frequencies)
    compile_s = time.perf_counter() - t0
    per_article: list[float] = []
    full_article: list[float] = []
    matches = 0
    for article in articles:
        best = full = float("inf")
        for _ in range(repeat):
            t = time.thread_time()
            got = ruleset.match(article)
            best = min(best, time.thread_time() - t)
            t = time.thread_time()
            got = ruleset.match(article)
            for m in got:
                m.spans  # noqa: B018 -- built on first use: that is what is timed
                m.snippet  # noqa: B018
            full = min(full, time.thread_time() - t)
        matches += len(got)
        per_article.append(best * 1000)
        full_article.append(full * 1000)
    per_article.sort()
    full_article.sort()
    p90 = int(0.9 * (len(per_article) - 1))
    return {
        "rules": n,
        "median": statistics.median(per_article),
        "p90": per_article[p90],
        "full_median": statistics.median(full_article),
        "full_p90": full_article[p90],
        "matches": matches / len(articles),
        "compile": compile_s,
    }


def calibration() -> float:
    """Microseconds for an empty 1,000-step Python loop: how fast this machine is right now."""
    best = float("inf")
    for _ in range(200):
        t = time.thread_time()
        for _ in range(1000):
            pass
        best = min(best, time.thread_time() - t)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--frequencies",
        action="store_true",
        help="also anchor rules on word frequencies counted on the first half of the bodies,"
        " and measure on articles made of the other half only",
    )
    args = parser.parse_args()
    if args.frequencies:
        frequencies_table(args)
        return
    articles = load_articles()
    print(f"{len(articles)} articles of {WORDS_PER_ARTICLE} words; best of {args.repeat} runs")
    print(f"calibration: an empty 1,000-step loop takes {calibration():.1f} µs of CPU")
    print("match: RuleSet.match alone; +spans: and every match's spans and snippet read too")
    print(
        f"{'rules':>8} {'median ms':>10} {'p90 ms':>8} {'+spans median':>14} {'+spans p90':>11}"
        f" {'matches/article':>16} {'compile s':>10}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        r = measure(n, articles, args.repeat)
        print(
            f"{r['rules']:>8} {r['median']:>10.3f} {r['p90']:>8.3f} {r['full_median']:>14.3f}"
            f" {r['full_p90']:>11.3f} {r['matches']:>16.1f} {r['compile']:>10.2f}"
        )


def frequencies_table(args: argparse.Namespace) -> None:
    bodies = load_bodies()
    half = len(bodies) // 2
    everything = load_articles(bodies)
    seen, unseen = load_articles(bodies[:half]), load_articles(bodies[half:])
    frequencies = WordFrequencies.from_articles(seen)
    print(
        f"{len(unseen)} articles of {WORDS_PER_ARTICLE} words from bodies the frequencies never"
        f" saw ({len(seen)} others counted); best of {args.repeat} runs"
    )
    print(f"calibration: an empty 1,000-step loop takes {calibration():.1f} µs of CPU")
    print(f"{'rules':>8} {'plain median':>13} {'p90':>7} {'tuned median':>13} {'p90':>7}")
    for n in (int(s) for s in args.sizes.split(",")):
        plain = measure(n, unseen, args.repeat, vocabulary=everything)
        tuned = measure(n, unseen, args.repeat, vocabulary=everything, frequencies=frequencies)
        assert plain["matches"] == tuned["matches"]
        print(
            f"{n:>8} {plain['median']:>13.3f} {plain['p90']:>7.3f}"
            f" {tuned['median']:>13.3f} {tuned['p90']:>7.3f}"
        )


if __name__ == "__main__":
    main()
