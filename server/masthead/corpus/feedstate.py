"""What `follow` keeps in the corpus database: each feed's polling state, the follower's lease, and pruning by age."""

from __future__ import annotations

import datetime as dt

__all__ = ["FeedStateStore", "FEED_FIELDS", "SQLITE_TABLES", "POSTGRES_TABLES"]

# One row per feed followed or found. `discovered` feeds were found on an outlet's homepage (not in sources.yaml).
FEED_FIELDS = ("url", "outlet_id", "etag", "last_modified", "last_poll", "next_poll", "interval", "failures",
               "last_error", "last_success", "failing_since", "dead_since", "retry_after", "last_changed", "discovered", "found_at",
               "last_found_dead")

_COLUMNS = """
    url text PRIMARY KEY,
    outlet_id text,
    etag text,
    last_modified text,
    last_poll text,            -- UTC ISO date-times, as fetched_at: they sort as time
    next_poll text,
    interval integer,          -- seconds between polls, adapted to how often the feed changes
    failures integer NOT NULL DEFAULT 0,
    last_error text,
    last_success text,
    failing_since text,        -- the first of the current run of failures
    dead_since text,
    retry_after text,          -- not asked again before this (Retry-After or backoff)
    last_changed text,
    discovered integer NOT NULL DEFAULT 0,
    found_at text,
    last_found_dead text
"""
_LEASE = "CREATE TABLE follow_lease (name text PRIMARY KEY, holder text NOT NULL, until double precision NOT NULL, round_at text)"
SQLITE_TABLES = [f"CREATE TABLE feed_state ({_COLUMNS})", _LEASE]
POSTGRES_TABLES = SQLITE_TABLES  # plain SQL both stores read alike

PRUNE_BATCH = 500  # articles forgotten per transaction: a prune never holds the write lock for long


class FeedStateStore:
    """Mixed into each store, which supplies _feed_sql(sql, params) -> rows (SQL written with ? placeholders,
    run in its own transaction unless one is open). No driver or dialect is seen here beyond plain SQL."""

    def _feed_sql(self, sql: str, params: tuple = ()) -> list[tuple]:
        raise NotImplementedError

    def feed_states(self) -> list[dict]:
        """Every feed's state (see FEED_FIELDS), by URL."""
        rows = self._feed_sql(f"SELECT {', '.join(FEED_FIELDS)} FROM feed_state ORDER BY url")
        return [dict(zip(FEED_FIELDS, row)) for row in rows]

    def save_feed_state(self, state: dict) -> None:
        """Insert or replace one feed's state (`url` required; missing fields are stored empty)."""
        values = tuple(state.get(f) for f in FEED_FIELDS)
        at = FEED_FIELDS.index("discovered")
        values = values[:at] + (int(bool(state.get("discovered"))),) + values[at + 1:]
        values = tuple(0 if f == "failures" and v is None else v for f, v in zip(FEED_FIELDS, values))
        updates = ", ".join(f"{f} = excluded.{f}" for f in FEED_FIELDS[1:])
        self._feed_sql(f"INSERT INTO feed_state ({', '.join(FEED_FIELDS)}) VALUES ({', '.join('?' * len(FEED_FIELDS))}) "
                       f"ON CONFLICT (url) DO UPDATE SET {updates}", values)

    def forget_feed(self, url: str) -> None:
        self._feed_sql("DELETE FROM feed_state WHERE url = ?", (url,))

    def added_since(self, since: str) -> dict[str | None, int]:
        """Articles fetched at or after `since` (UTC ISO), by outlet id."""
        rows = self._feed_sql("SELECT outlet_id, count(*) FROM articles WHERE fetched_at >= ? GROUP BY outlet_id", (since,))
        return {outlet: n for outlet, n in rows}

    def take_lease(self, holder: str, seconds: float, name: str = "follow", replacing: str | None = None) -> str | None:
        """Hold the named lease for `seconds` more if it is free, expired, already `holder`'s, or `replacing`'s (a
        holder known to be dead); returns who holds it now. Exactly one follower among hosts sharing the database:
        a holder that dies stops renewing, and after `seconds` another takes it."""
        now = dt.datetime.now(dt.timezone.utc).timestamp()
        self._feed_sql("INSERT INTO follow_lease (name, holder, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                       "SET holder = excluded.holder, until = excluded.until "
                       "WHERE follow_lease.holder = excluded.holder OR follow_lease.until < ? OR follow_lease.holder = ?",
                       (name, holder, now + seconds, now, replacing or holder))
        row = self._feed_sql("SELECT holder FROM follow_lease WHERE name = ?", (name,))
        return row[0][0] if row else None

    def release_lease(self, holder: str, name: str = "follow") -> None:
        self._feed_sql("UPDATE follow_lease SET until = 0 WHERE name = ? AND holder = ?", (name, holder))

    def note_round(self, when: str, name: str = "follow") -> None:
        """Remember when the last follow round ended (for /api/health)."""
        self._feed_sql("UPDATE follow_lease SET round_at = ? WHERE name = ?", (when, name))

    def last_round(self, name: str = "follow") -> str | None:
        rows = self._feed_sql("SELECT round_at FROM follow_lease WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def prune(self, before: str, keep_sources: tuple[str, ...] = ("reader",)) -> int:
        """Forget every article published (else fetched) before `before` (an ISO date), except those whose source
        is in keep_sources (a reader stored them on purpose), with their URLs, vectors and term statistics (each
        goes through delete()). Returns how many were forgotten."""
        keep = ", ".join("?" * len(keep_sources)) or "''"
        forgotten = 0
        while True:
            rows = self._feed_sql(f"SELECT url FROM articles WHERE coalesce(published, fetched_at) < ? "
                                  f"AND coalesce(source, '') NOT IN ({keep}) ORDER BY id LIMIT {PRUNE_BATCH}",
                                  (before, *keep_sources))
            if not rows:
                return forgotten
            with self.transaction():
                for (url,) in rows:
                    forgotten += self.delete(url) is not None
