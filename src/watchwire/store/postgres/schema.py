"""The PostgreSQL schema, as numbered migrations applied in order on start (``migrate``).

Table by table the SQLite schema (``store/sqlite/schema.py``, all its migrations) in
PostgreSQL's types: ``timestamptz`` for times, ``bigint`` identities, ``text[]`` for lists,
``json`` for payloads. ``stories.key`` is unique there too: the content hash of the story's
founding article, so that writers storing copies of one new story at once land on one row
(``INSERT … ON CONFLICT (key) DO UPDATE … RETURNING id``: ``DO NOTHING`` would return nothing
to the writer that lost). Where it departs:

- ``articles.search`` instead of FTS5's tables: the article's words as a ``tsvector``
  (``fts.search_vector``: title, lead and body as weights A, B and C), written by the store with
  the row, under a GIN index. NULL only for an article too large to index: every search must
  take those as candidates (``articles_unindexed`` finds them);
- ``articles_source``: a source's article count (source health) without a scan;
- coordination (``_WORKERS``): several workers share one database, so leases live in it — on due
  sources (``sources.lease_owner``/``lease_until``), on messages being delivered
  (``outbox.lease_owner``), on article pages being fetched (``page_claims``) and on hosts being
  requested (``hosts``); who is alive (``workers``: each holds a session advisory lock while it
  lives, which the server drops when its session ends however the process did); and which
  sources each worker's config has (``worker_sources``). SQLite has one process, which holds
  all of it in memory. ``daily_counts`` is kept in up to 64 rows a day (``shard``: the
  session's), so that workers' saves do not queue on one row's lock; readers sum them.
- ``stories.closed`` is a boolean where SQLite has 0/1.

Payloads are ``json``, not ``jsonb``: a payload is sent as stored, and ``jsonb`` would
reorder its keys. A migration is only ever appended, never edited: databases in the field are
at every version.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

_V1 = """
CREATE TABLE sources (
    name                 text PRIMARY KEY,
    url                  text NOT NULL,
    kind                 text,
    first_polled_at      timestamptz,
    last_polled_at       timestamptz,
    last_ok_at           timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    last_error           text,
    next_poll_at         timestamptz
);

CREATE TABLE http_cache (
    url           text PRIMARY KEY,
    etag          text,
    last_modified text,  -- echoed back as received: an HTTP date is not ours to parse
    body_hash     text,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE fetches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text NOT NULL,
    url         text NOT NULL,
    at          timestamptz NOT NULL,
    outcome     text NOT NULL,
    status      integer,
    bytes       bigint NOT NULL DEFAULT 0,
    elapsed_ms  integer NOT NULL DEFAULT 0,
    error_class text,
    error       text
);
CREATE INDEX fetches_source_at ON fetches (source, at);

CREATE TABLE stories (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE articles (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url           text NOT NULL UNIQUE,
    story_id      bigint NOT NULL REFERENCES stories (id),
    source        text NOT NULL,
    title         text NOT NULL DEFAULT '',
    lead          text NOT NULL DEFAULT '',
    body          text NOT NULL DEFAULT '',
    published_at  timestamptz,
    modified_at   timestamptz,
    language      text,
    authors       text[] NOT NULL DEFAULT '{}',
    section       text,
    tags          text[] NOT NULL DEFAULT '{}',
    image         text,
    content_hash  text NOT NULL,
    simhash       bigint,  -- the unsigned 64-bit SimHash, stored as its signed twin
    version       integer NOT NULL DEFAULT 1,
    first_seen_at timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    search        tsvector
);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_story ON articles (story_id);
CREATE INDEX articles_first_seen ON articles (first_seen_at);
CREATE INDEX articles_source ON articles (source);
-- Search reads newest first and pages on (time, id): in index order, it stops at the page.
CREATE INDEX articles_when ON articles ((COALESCE(published_at, first_seen_at)), id);
CREATE INDEX articles_search ON articles USING gin (search);
CREATE INDEX articles_unindexed ON articles (id) WHERE search IS NULL;

-- Banded SimHash keys: near-duplicate candidates without scanning the store.
CREATE TABLE simhash_bands (
    band       smallint NOT NULL,
    key        bigint NOT NULL,
    article_id bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (band, key, article_id)
);
CREATE INDEX simhash_bands_article ON simhash_bands (article_id);

-- Delivery: one message per immediate alert, or one per sealed digest.
CREATE TABLE outbox (
    id              text PRIMARY KEY,
    channel         text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('alert', 'digest')),
    payload         json NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    delivered_at    timestamptz
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Once per (rule, story, channel): the database, not the code, makes a second one impossible.
CREATE TABLE alerts (
    id         text PRIMARY KEY,
    rule       text NOT NULL,
    story_id   bigint NOT NULL REFERENCES stories (id),
    channel    text NOT NULL,
    article_id bigint NOT NULL REFERENCES articles (id),
    message_id text REFERENCES outbox (id),
    payload    json NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (rule, story_id, channel)
);
CREATE INDEX alerts_unsealed ON alerts (channel, message_id);
"""

_GIVEN_UP = """
-- SQLite's given_up (article links given up on purpose, remembered per source).
CREATE TABLE given_up (
    url    text PRIMARY KEY,
    source text NOT NULL,
    reason text NOT NULL,
    at     timestamptz NOT NULL
);
CREATE INDEX given_up_source ON given_up (source, at);
"""

_DELIVERIES = """
-- Every delivery attempt of a message and what the receiver answered (`watchwire alerts show`).
CREATE TABLE deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      text NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt         integer NOT NULL,
    at              timestamptz NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    answer          text,
    elapsed_ms      integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz
);
CREATE INDEX deliveries_message ON deliveries (message_id, id);

-- `alerts retry` starts a new delivery episode without rewriting when the message was made.
ALTER TABLE outbox ADD COLUMN requeued_at timestamptz;

-- What one `watchwire once` touched: the messages it made or tried, by their last change.
CREATE INDEX outbox_updated ON outbox (updated_at);
CREATE INDEX alerts_created ON alerts (created_at);
"""

_OPERATIONS = """
-- SQLite's _OPERATIONS: source health stored, ghosts of pruned articles, closed stories, and
-- alerts that outlive their articles or have none (source-health alerts).
ALTER TABLE sources ADD COLUMN state text;
ALTER TABLE sources ADD COLUMN state_since timestamptz;
ALTER TABLE sources ADD COLUMN state_reason text;
ALTER TABLE sources ADD COLUMN moved_to text;
ALTER TABLE sources ADD COLUMN failing_since timestamptz;
ALTER TABLE sources ADD COLUMN last_new_at timestamptz;
UPDATE sources SET failing_since = last_polled_at WHERE consecutive_failures > 0;
UPDATE sources SET last_new_at = (
    SELECT MAX(first_seen_at) FROM articles WHERE articles.source = sources.name
);
CREATE INDEX articles_source_seen ON articles (source, first_seen_at);

ALTER TABLE stories ADD COLUMN closed boolean NOT NULL DEFAULT false;
CREATE TABLE ghost_urls (key bigint PRIMARY KEY);
CREATE TABLE ghost_texts (key bigint PRIMARY KEY);
CREATE TABLE ghost_bands (
    key     bigint NOT NULL,
    simhash bigint NOT NULL,
    PRIMARY KEY (key, simhash)
);

ALTER TABLE alerts ALTER COLUMN rule DROP NOT NULL;
ALTER TABLE alerts ALTER COLUMN story_id DROP NOT NULL;
ALTER TABLE alerts ALTER COLUMN article_id DROP NOT NULL;
ALTER TABLE alerts DROP CONSTRAINT alerts_article_id_fkey;
CREATE INDEX alerts_story ON alerts (story_id);
CREATE INDEX alerts_message ON alerts (message_id);
"""

_DASHBOARD = """
-- SQLite's _DASHBOARD: articles first seen and rule alerts made per day (UTC), kept by
-- triggers as rows come (the overview's chart reads a month of rows, never counts articles);
-- each poll as it ended, a week of them per source.
CREATE TABLE daily_counts (
    day      date PRIMARY KEY,
    articles bigint NOT NULL DEFAULT 0,
    alerts   bigint NOT NULL DEFAULT 0
);
INSERT INTO daily_counts (day, articles)
    SELECT (first_seen_at AT TIME ZONE 'UTC')::date, COUNT(*) FROM articles GROUP BY 1;
INSERT INTO daily_counts (day, alerts)
    SELECT (created_at AT TIME ZONE 'UTC')::date, COUNT(*) FROM alerts WHERE rule IS NOT NULL
    GROUP BY 1
    ON CONFLICT (day) DO UPDATE SET alerts = excluded.alerts;
CREATE FUNCTION watchwire_count_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_counts (day, articles)
    VALUES ((NEW.first_seen_at AT TIME ZONE 'UTC')::date, 1)
    ON CONFLICT (day) DO UPDATE SET articles = daily_counts.articles + 1;
    RETURN NULL;
END $$;
CREATE FUNCTION watchwire_count_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_counts (day, alerts) VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, 1)
    ON CONFLICT (day) DO UPDATE SET alerts = daily_counts.alerts + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER daily_articles AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION watchwire_count_article();
CREATE TRIGGER daily_alerts AFTER INSERT ON alerts
    FOR EACH ROW WHEN (NEW.rule IS NOT NULL) EXECUTE FUNCTION watchwire_count_alert();

CREATE TABLE polls (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text NOT NULL,
    at           timestamptz NOT NULL,
    ok           boolean NOT NULL,
    error        text,
    kind         text,
    new_articles integer NOT NULL DEFAULT 0
);
CREATE INDEX polls_source_at ON polls (source, at);

CREATE INDEX outbox_created ON outbox (created_at, id);
"""

_WORKERS = """
-- A worker is a process that opened the database to work. It takes the session advisory lock
-- (WORKER_LOCK, id) before its row appears, and holds it while it lives.
CREATE SEQUENCE worker_ids AS integer;
CREATE TABLE workers (
    id         integer PRIMARY KEY,
    host       text NOT NULL,
    pid        integer NOT NULL,
    started_at timestamptz NOT NULL
);

-- The sources each worker's config has: it claims only these (a rolling reload never makes a
-- worker poll a source its config does not have, nor drop one another worker still has).
CREATE TABLE worker_sources (
    worker integer NOT NULL,
    source text NOT NULL,
    PRIMARY KEY (worker, source)
);

-- Which source is due: next_poll_at, claimed FOR UPDATE SKIP LOCKED with a lease.
ALTER TABLE sources ADD COLUMN lease_owner integer, ADD COLUMN lease_until timestamptz;
CREATE INDEX sources_due ON sources (next_poll_at);
CREATE INDEX sources_leased ON sources (lease_owner) WHERE lease_owner IS NOT NULL;

-- Who is delivering a message: its lease is freed at once when that worker is gone.
ALTER TABLE outbox ADD COLUMN lease_owner integer;
CREATE INDEX outbox_leased ON outbox (lease_owner) WHERE lease_owner IS NOT NULL;

-- Article pages being fetched: one fetch per page across workers.
CREATE TABLE page_claims (
    url         text PRIMARY KEY,
    owner       integer NOT NULL,
    lease_until timestamptz NOT NULL
);
CREATE INDEX page_claims_owner ON page_claims (owner);

-- Hosts being requested: one worker at a time keeps a host's politeness; free_at is when the
-- next request may start (the last holder's per_host_delay).
CREATE TABLE hosts (
    origin      text PRIMARY KEY,
    owner       integer,
    lease_until timestamptz,
    free_at     timestamptz
);
CREATE INDEX hosts_owner ON hosts (owner) WHERE owner IS NOT NULL;

-- A store made by ``watchwire store copy``: from where, and whether the copy finished.
CREATE TABLE store_copies (
    origin      text PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz
);

-- The day's counts as several workers write them: one row a day would be locked by every
-- article's transaction from its insert to its commit, so every worker's saves would wait on
-- each other's. Each session counts into its own of DAY_SHARDS rows a day; readers sum them.
ALTER TABLE daily_counts ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE daily_counts DROP CONSTRAINT daily_counts_pkey;
ALTER TABLE daily_counts ADD PRIMARY KEY (day, shard);
CREATE OR REPLACE FUNCTION watchwire_count_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_counts (day, shard, articles)
    VALUES ((NEW.first_seen_at AT TIME ZONE 'UTC')::date, pg_backend_pid() % 64, 1)
    ON CONFLICT (day, shard) DO UPDATE SET articles = daily_counts.articles + 1;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION watchwire_count_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_counts (day, shard, alerts)
    VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, pg_backend_pid() % 64, 1)
    ON CONFLICT (day, shard) DO UPDATE SET alerts = daily_counts.alerts + 1;
    RETURN NULL;
END $$;
"""


MIGRATIONS: tuple[str, ...] = (
    _V1,
    _GIVEN_UP,
    _DELIVERIES,
    _OPERATIONS,
    _DASHBOARD,
    _WORKERS,
)
