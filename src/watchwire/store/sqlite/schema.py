"""The schema, as numbered migrations applied in order on start.

``PRAGMA user_version`` holds the number of migrations applied. A migration is only ever
appended, never edited: files in the field are at every version.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

_V1 = """
CREATE TABLE sources (
    name                 TEXT PRIMARY KEY,
    url                  TEXT NOT NULL,
    kind                 TEXT,
    first_polled_at      TEXT,
    last_polled_at       TEXT,
    last_ok_at           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    next_poll_at         TEXT,
    body_hash            TEXT
) WITHOUT ROWID;

CREATE TABLE http_cache (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    body_hash     TEXT,
    updated_at    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE fetches (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    url         TEXT NOT NULL,
    at          TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    status      INTEGER,
    bytes       INTEGER NOT NULL DEFAULT 0,
    elapsed_ms  INTEGER NOT NULL DEFAULT 0,
    error_class TEXT,
    error       TEXT
);
CREATE INDEX fetches_source_at ON fetches(source, at);

CREATE TABLE stories (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    url           TEXT NOT NULL UNIQUE,
    story_id      INTEGER NOT NULL REFERENCES stories(id),
    source        TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    lead          TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',
    published_at  TEXT,
    modified_at   TEXT,
    language      TEXT,
    authors       TEXT NOT NULL DEFAULT '[]',
    section       TEXT,
    tags          TEXT NOT NULL DEFAULT '[]',
    image         TEXT,
    content_hash  TEXT NOT NULL,
    simhash       INTEGER,
    version       INTEGER NOT NULL DEFAULT 1,
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX articles_content_hash ON articles(content_hash);
CREATE INDEX articles_story ON articles(story_id);
CREATE INDEX articles_first_seen ON articles(first_seen_at);

-- Banded SimHash keys: near-duplicate candidates without scanning the store.
CREATE TABLE simhash_bands (
    band       INTEGER NOT NULL,
    key        INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (band, key, article_id)
) WITHOUT ROWID;
CREATE INDEX simhash_bands_article ON simhash_bands(article_id);

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, lead, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, lead, body)
    VALUES (new.id, new.title, new.lead, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, lead, body)
    VALUES ('delete', old.id, old.title, old.lead, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, lead, body ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, lead, body)
    VALUES ('delete', old.id, old.title, old.lead, old.body);
    INSERT INTO articles_fts(rowid, title, lead, body)
    VALUES (new.id, new.title, new.lead, new.body);
END;

-- Delivery: one message per immediate alert, or one per sealed digest.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('alert', 'digest')),
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_at    TEXT
) WITHOUT ROWID;
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- Once per (rule, story, channel): the database, not the code, makes a second one impossible.
CREATE TABLE alerts (
    id         TEXT PRIMARY KEY,
    rule       TEXT NOT NULL,
    story_id   INTEGER NOT NULL REFERENCES stories(id),
    channel    TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    message_id TEXT REFERENCES outbox(id),
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (rule, story_id, channel)
) WITHOUT ROWID;
CREATE INDEX alerts_unsealed ON alerts(channel, message_id);
"""

_V2 = """
-- A story's unique key: the content hash of the article that founded it, so that two writers
-- storing one text at once make one story (INSERT ... ON CONFLICT (key)). Stories of earlier
-- files take their first article's hash; the rare clash (an article edited into the text of
-- another story) keeps the older story's claim, and the newer one a key of its own.
ALTER TABLE stories ADD COLUMN key TEXT;
UPDATE stories SET key = (
    SELECT a.content_hash FROM articles a WHERE a.story_id = stories.id ORDER BY a.id LIMIT 1
);
UPDATE stories SET key = 'story:' || id
    WHERE key IS NULL OR id NOT IN (SELECT MIN(id) FROM stories GROUP BY key);
CREATE UNIQUE INDEX stories_key ON stories(key);

-- Unchanged feeds are recognised by http_cache.body_hash alone.
ALTER TABLE sources DROP COLUMN body_hash;

-- Search reads newest first and pages on (time, id): in index order, it stops at the page.
CREATE INDEX articles_when ON articles(COALESCE(published_at, first_seen_at), id);
"""

_SECRETS_OUT = """
-- Source URLs are kept redacted from now on (no user info, no query values); what earlier
-- versions wrote in full goes. http_cache is a cache (a feed is read in full once more) and
-- fetches a week's history; sources.url is written again at the source's next poll.
DELETE FROM http_cache WHERE url LIKE '%@%' OR url LIKE '%?%' OR url LIKE '%#%';
DELETE FROM fetches WHERE url LIKE '%@%' OR url LIKE '%?%' OR url LIKE '%#%'
                       OR error LIKE '%://%';
UPDATE sources SET url = '(redacted until the next poll)', last_error = NULL
    WHERE url LIKE '%@%' OR url LIKE '%?%' OR url LIKE '%#%' OR last_error LIKE '%://%';
"""

_GIVEN_UP = """
-- Article links given up on purpose (no article at the URL, a page that killed its analysis
-- twice): remembered, so that no later poll fetches them again, and shown per source.
CREATE TABLE given_up (
    url    TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    at     TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX given_up_source ON given_up(source, at);
"""


_DELIVERIES = """
-- Every delivery attempt of a message and what the receiver answered (`watchwire alerts show`).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL,
    at              TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    answer          TEXT,
    elapsed_ms      INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT
);
CREATE INDEX deliveries_message ON deliveries(message_id, id);

-- `alerts retry` starts a new delivery episode (give_up counts from it) without rewriting
-- when the message was made.
ALTER TABLE outbox ADD COLUMN requeued_at TEXT;

-- What one `watchwire once` touched: the messages it made or tried, by their last change.
CREATE INDEX outbox_updated ON outbox(updated_at);
CREATE INDEX alerts_created ON alerts(created_at);
"""

_OPERATIONS = """
-- Source health (docs/alerts.md): the state every surface shows, stored so that a restart
-- neither forgets a failing source nor announces it twice. NULL state: not judged yet.
ALTER TABLE sources ADD COLUMN state TEXT;
ALTER TABLE sources ADD COLUMN state_since TEXT;
ALTER TABLE sources ADD COLUMN state_reason TEXT;
ALTER TABLE sources ADD COLUMN moved_to TEXT;
ALTER TABLE sources ADD COLUMN failing_since TEXT;
ALTER TABLE sources ADD COLUMN last_new_at TEXT;
UPDATE sources SET failing_since = last_polled_at WHERE consecutive_failures > 0;
UPDATE sources SET last_new_at = (
    SELECT MAX(first_seen_at) FROM articles WHERE articles.source = sources.name
);
-- A source's own history (silence is learned from it; counts per source) without a scan.
CREATE INDEX articles_source_seen ON articles(source, first_seen_at);

-- Retention: an article past storage.retention leaves a ghost, what dedupe needs to know it
-- again in ~100 bytes: its URL's and its text's 64-bit keys (each a bare primary key), and its
-- SimHash under three of its band keys (disjoint band tables: copies up to 2 bits apart always
-- share one). A story with a pruned article is closed: it never alerts again.
ALTER TABLE stories ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE ghost_urls (key INTEGER PRIMARY KEY);
CREATE TABLE ghost_texts (key INTEGER PRIMARY KEY);
CREATE TABLE ghost_bands (
    key     INTEGER NOT NULL,
    simhash INTEGER NOT NULL,
    PRIMARY KEY (key, simhash)
) WITHOUT ROWID;

-- Alerts outlive their articles (storage.alert_retention >= retention), and a source-health
-- alert has no rule, story or article: the table is rebuilt without those constraints.
CREATE TABLE alerts_v3 (
    id         TEXT PRIMARY KEY,
    rule       TEXT,
    story_id   INTEGER REFERENCES stories(id),
    channel    TEXT NOT NULL,
    article_id INTEGER,
    message_id TEXT REFERENCES outbox(id),
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (rule, story_id, channel)
) WITHOUT ROWID;
INSERT INTO alerts_v3 (id, rule, story_id, channel, article_id, message_id, payload, created_at)
    SELECT id, rule, story_id, channel, article_id, message_id, payload, created_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_v3 RENAME TO alerts;
CREATE INDEX alerts_unsealed ON alerts(channel, message_id);
CREATE INDEX alerts_story ON alerts(story_id);
CREATE INDEX alerts_message ON alerts(message_id);
CREATE INDEX alerts_created ON alerts(created_at);
"""

_DASHBOARD = """
-- The dashboard (issue 19). Articles first seen and rule alerts made per day (UTC), kept by
-- triggers as rows come, so that the overview's chart reads thirty rows instead of counting a
-- million. History: pruning an article or an alert later does not take it back.
CREATE TABLE daily_counts (
    day      TEXT PRIMARY KEY,
    articles INTEGER NOT NULL DEFAULT 0,
    alerts   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO daily_counts (day, articles)
    SELECT substr(first_seen_at, 1, 10), COUNT(*) FROM articles GROUP BY 1;
INSERT INTO daily_counts (day, alerts)
    SELECT substr(created_at, 1, 10), COUNT(*) FROM alerts WHERE rule IS NOT NULL GROUP BY 1
    ON CONFLICT (day) DO UPDATE SET alerts = excluded.alerts;
CREATE TRIGGER daily_articles AFTER INSERT ON articles BEGIN
    INSERT INTO daily_counts (day, articles) VALUES (substr(new.first_seen_at, 1, 10), 1)
    ON CONFLICT (day) DO UPDATE SET articles = articles + 1;
END;
CREATE TRIGGER daily_alerts AFTER INSERT ON alerts WHEN new.rule IS NOT NULL BEGIN
    INSERT INTO daily_counts (day, alerts) VALUES (substr(new.created_at, 1, 10), 1)
    ON CONFLICT (day) DO UPDATE SET alerts = alerts + 1;
END;

-- Each poll as it ended, a week of them per source (as fetches): a source's page shows its
-- recent polls with what they brought.
CREATE TABLE polls (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    at           TEXT NOT NULL,
    ok           INTEGER NOT NULL,
    error        TEXT,
    kind         TEXT,
    new_articles INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX polls_source_at ON polls(source, at);

-- The alerts page lists messages newest first, a page at a time, whatever their state.
CREATE INDEX outbox_created ON outbox(created_at, id);
"""

_SCHEDULE = """
-- Which source is due lives here (``next_poll_at``): the schedule claims by it in time order.
CREATE INDEX sources_due ON sources(next_poll_at);

-- A store made by ``watchwire store copy``: from where, and whether the copy finished.
CREATE TABLE store_copies (
    origin      TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT
) WITHOUT ROWID;
"""


MIGRATIONS: tuple[str, ...] = (
    _V1,
    _V2,
    _SECRETS_OUT,
    _GIVEN_UP,
    _DELIVERIES,
    _OPERATIONS,
    _DASHBOARD,
    _SCHEDULE,
)
