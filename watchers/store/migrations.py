"""Ordered schema migrations: the list index + 1 is the schema version.

Append, never edit: a database at version N runs migrations N+1… in one transaction each.
`{pk}` becomes the backend's auto-increment primary key. Unique constraints are the
memory of the system: a story key, an alert per story and topic, a delivery per alert and
channel, a subscription per channel and topic can each exist once.
"""

from __future__ import annotations

from .db import Database

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE feeds (
            id {pk}, url TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT 'config', interval_s INTEGER,
            paused INTEGER NOT NULL DEFAULT 0, added_by TEXT,
            etag TEXT, last_modified TEXT,
            next_check_at DOUBLE PRECISION NOT NULL DEFAULT 0,
            last_polled_at DOUBLE PRECISION, last_success_at DOUBLE PRECISION,
            polls INTEGER NOT NULL DEFAULT 0, successes INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,
            warned INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT, lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
            created_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE stories (
            id {pk}, key TEXT NOT NULL UNIQUE, cluster_id BIGINT,
            feed_id BIGINT, title TEXT NOT NULL, source TEXT NOT NULL, link TEXT,
            published DOUBLE PRECISION, seen_at DOUBLE PRECISION NOT NULL,
            verdict TEXT NOT NULL, topics TEXT NOT NULL DEFAULT '',
            label TEXT NOT NULL, why TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX stories_cluster ON stories (cluster_id)",
        "CREATE TABLE story_keys (key BIGINT NOT NULL, story_id BIGINT NOT NULL)",
        "CREATE INDEX story_keys_key ON story_keys (key)",
        """CREATE TABLE facts (
            id {pk}, story_id BIGINT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL,
            link TEXT, published DOUBLE PRECISION, is_new INTEGER NOT NULL,
            seen_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX facts_story ON facts (story_id)",
        "CREATE TABLE fact_keys (key BIGINT NOT NULL, fact_id BIGINT NOT NULL)",
        "CREATE INDEX fact_keys_key ON fact_keys (key)",
        """CREATE TABLE alerts (
            id {pk}, kind TEXT NOT NULL, dedupe TEXT NOT NULL UNIQUE,
            story_id BIGINT, cluster_id BIGINT, topic TEXT, verdict TEXT,
            payload TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE subscriptions (
            id {pk}, platform TEXT NOT NULL, channel TEXT NOT NULL, topic TEXT NOT NULL,
            created_by TEXT, created_at DOUBLE PRECISION NOT NULL, paused_reason TEXT,
            UNIQUE (platform, channel, topic))""",
        """CREATE TABLE deliveries (
            id {pk}, alert_id BIGINT NOT NULL, platform TEXT NOT NULL, channel TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0,
            claimed_by TEXT, claim_until DOUBLE PRECISION NOT NULL DEFAULT 0,
            maybe_sent INTEGER NOT NULL DEFAULT 0, ref TEXT, last_error TEXT,
            created_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION,
            UNIQUE (alert_id, platform, channel))""",
        "CREATE INDEX deliveries_due ON deliveries (status, platform, next_attempt_at)",
        """CREATE TABLE threads (
            cluster_id BIGINT NOT NULL, platform TEXT NOT NULL, channel TEXT NOT NULL,
            ref TEXT NOT NULL, PRIMARY KEY (cluster_id, platform, channel))""",
    ],
    [  # 2: read a key's newest holders straight from the index, however common the key
        "CREATE INDEX fact_keys_key_fact ON fact_keys (key, fact_id)",
        "DROP INDEX fact_keys_key",
        "CREATE INDEX story_keys_key_story ON story_keys (key, story_id)",
        "DROP INDEX story_keys_key",
    ],
    [  # 3: what the "what we know" pages read (watchers/store/pages.py), each by an index
        # a later fact that says a known fact again ('restates') or contradicts it
        # ('conflicts'); story_id is the later fact's story
        """CREATE TABLE fact_links (
            fact_id BIGINT NOT NULL, other_id BIGINT NOT NULL, story_id BIGINT NOT NULL,
            kind TEXT NOT NULL, rank INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX fact_links_other ON fact_links (other_id, kind)",
        "CREATE INDEX fact_links_kind ON fact_links (kind, fact_id)",
        """CREATE TABLE topic_clusters (
            topic TEXT NOT NULL, cluster_id BIGINT NOT NULL, PRIMARY KEY (topic, cluster_id))""",
        """CREATE TABLE topic_days (
            topic TEXT NOT NULL, day INTEGER NOT NULL, stories INTEGER NOT NULL DEFAULT 0,
            retellings INTEGER NOT NULL DEFAULT 0, new_facts INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (topic, day))""",
        "CREATE INDEX alerts_cluster ON alerts (cluster_id)",
        # backfill from the stories already stored (topic names as single-topic rows show them;
        # no '%' here: psycopg reads it as a placeholder)
        """INSERT INTO topic_clusters (topic, cluster_id)
            SELECT DISTINCT t.topic, s.cluster_id FROM stories s
            JOIN (SELECT DISTINCT topics AS topic FROM stories
                  WHERE topics <> '' AND REPLACE(topics, ',', '') = topics) t
              ON REPLACE(',' || s.topics || ',', ',' || t.topic || ',', '')
                 <> ',' || s.topics || ','
            WHERE s.cluster_id IS NOT NULL""",
        """INSERT INTO topic_days (topic, day, stories, retellings, new_facts)
            SELECT t.topic, x.day, COUNT(*), SUM(x.retelling), SUM(x.new_facts) FROM (
                SELECT s.topics, CAST(COALESCE(s.published, s.seen_at) AS BIGINT) / 86400 AS day,
                  CASE WHEN s.verdict = 'retelling' THEN 1 ELSE 0 END AS retelling,
                  (SELECT COUNT(*) FROM facts f WHERE f.story_id = s.id AND f.is_new = 1)
                    AS new_facts
                FROM stories s WHERE s.topics <> '') x
            JOIN (SELECT DISTINCT topics AS topic FROM stories
                  WHERE topics <> '' AND REPLACE(topics, ',', '') = topics) t
              ON REPLACE(',' || x.topics || ',', ',' || t.topic || ',', '')
                 <> ',' || x.topics || ','
            GROUP BY t.topic, x.day""",
    ],
    [  # alert levels per subscription, digests (one row per channel and period), chat topics
        "ALTER TABLE subscriptions ADD COLUMN level TEXT NOT NULL DEFAULT 'all'",
        """CREATE TABLE digest_schedules (
            platform TEXT NOT NULL, channel TEXT NOT NULL, every TEXT NOT NULL,
            weekday INTEGER, at_time TEXT NOT NULL, zone TEXT NOT NULL, created_by TEXT,
            created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (platform, channel))""",
        """CREATE TABLE digests (
            id {pk}, platform TEXT NOT NULL, channel TEXT NOT NULL,
            period_start DOUBLE PRECISION NOT NULL, period_end DOUBLE PRECISION NOT NULL,
            alert_id BIGINT, created_at DOUBLE PRECISION NOT NULL,
            UNIQUE (platform, channel, period_end))""",
        "CREATE INDEX alerts_created ON alerts (created_at)",
        "CREATE INDEX stories_seen ON stories (seen_at)",
        """CREATE TABLE chat_topics (
            name TEXT PRIMARY KEY, spec TEXT NOT NULL, created_by TEXT,
            created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
    ],
    [  # reliability: lease holders' heartbeats; a channel's lane read in order by an index
        "CREATE TABLE holders (owner TEXT PRIMARY KEY, alive_until DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX deliveries_lane ON deliveries (platform, channel, id)",
    ],
]


def migrate(db: Database) -> int:
    """Bring the schema to the newest version; returns the version reached."""
    pk = "INTEGER PRIMARY KEY" if db.dialect == "sqlite" else "BIGSERIAL PRIMARY KEY"
    with db.transaction(lock_key=7_400_001):
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.one("SELECT MAX(version) AS v FROM schema_version")
        current = int(row["v"]) if row and row["v"] is not None else 0
        for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
            for statement in statements:
                db.execute(statement.replace("{pk}", pk))
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    return len(MIGRATIONS)
