"""Sentence vectors in the SQLite corpus: each article's vector by its id, and their signs in chunks of one day.

Related coverage looks for the nearest vectors in a story's window of days (related/rank.py). At 1M articles a
two-week window holds ~14,000 vectors, 7 MB: reading them one row each took 33 ms, and as blobs of a day's
vectors still 8-14 ms, plus 5 ms for the cosines. So the window is searched by the vectors' signs (embed.signs(),
64 bytes a vector) kept in chunks of up to CHUNK articles of one day (`vector_chunks`: ~60 rows, 1 MB), and only
the RESCORE nearest by sign are read in full (`article_vectors`, by id) for exact cosines.

A dropped vector leaves its slot in the chunk with id 0 (read past, never returned); a chunk with no live slot
is deleted. New vectors wait in `pending` until the transaction commits (flush()), so that a batch of 2,000
articles rewrites each of its days' open chunks once rather than once an article.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from bisect import bisect_left, bisect_right

from .. import embed
from .base import RESCORE

__all__ = ["CHUNK", "RESCORE", "VectorStore", "create_tables"]

CHUNK = 256  # articles a chunk: 16 KB of USE signs
WIDE_DAYS = 62  # a window wider than this (background's span of years) is cut from the connection's copy of every sign
KEEP_SIGNS = 65_536  # up to this many (4 MB of USE signs, with their ids and days 5 MB) a connection keeps


def create_tables(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE article_vectors (article_id INTEGER PRIMARY KEY, chunk_id INTEGER NOT NULL, "
                 "slot INTEGER NOT NULL, vector BLOB NOT NULL)")
    # `ids` comes before `signs` in the row so that reading it never walks the signs' overflow pages.
    conn.execute("CREATE TABLE vector_chunks (id INTEGER PRIMARY KEY, day INTEGER NOT NULL, width INTEGER NOT NULL, "
                 "live INTEGER NOT NULL, ids BLOB NOT NULL, signs BLOB NOT NULL)")
    conn.execute("CREATE INDEX vector_chunks_day ON vector_chunks (day)")


def _ids(blob: bytes) -> array:
    ids = array("q", blob)
    if sys.byteorder == "big":  # stored little-endian, like the sketches, so a file moves between machines
        ids.byteswap()
    return ids


def _blob(ids) -> bytes:
    ids = array("q", ids)
    if sys.byteorder == "big":
        ids.byteswap()
    return ids.tobytes()


class VectorStore:
    """The vectors of one connection's corpus. Writes must run inside the corpus's write transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        # (article_id, day, vector) in the order given; vector None drops an earlier pending one. A list, not a
        # dict, so that a record undone alone (a savepoint's rollback) can be cut off by its length (mark()).
        self.pending: list[tuple[int, int | None, bytes | None]] = []
        self._kept: tuple | None = None  # (stamp, every sign with its day and id, or None past KEEP_SIGNS)

    # writing

    def put(self, article_id: int, day: int | None, vector: bytes) -> None:
        """Store (or replace) an article's vector, in the chunks of its `day` (0 when it has none)."""
        self._drop_stored(article_id)
        self.pending.append((article_id, day or 0, bytes(vector)))

    def drop(self, article_id: int) -> None:
        self._drop_stored(article_id)
        if self.pending:
            self.pending.append((article_id, None, None))

    def mark(self) -> int:
        return len(self.pending)

    def undo_to(self, mark: int) -> None:
        del self.pending[mark:]

    def discard(self) -> None:
        """The transaction was rolled back: nothing pending is written."""
        self.pending.clear()

    def flush(self) -> None:
        """Write the pending vectors: each day's open chunk is filled up, then new chunks are added."""
        if not self.pending:
            return
        latest: dict[int, tuple[int, bytes]] = {}
        for article_id, day, vector in self.pending:
            latest.pop(article_id, None)  # re-inserted last: a replaced vector goes where its latest one goes
            if vector is not None:
                latest[article_id] = (day, vector)
        self.pending.clear()
        groups: dict[tuple[int, int], list[tuple[int, bytes]]] = {}
        for article_id, (day, vector) in latest.items():  # a chunk holds one day's signs of one width (one model)
            groups.setdefault((day, len(vector)), []).append((article_id, vector))
        for (day, dim), items in groups.items():
            self._append(day, dim, items)

    def _append(self, day: int, dim: int, items: list[tuple[int, bytes]]) -> None:
        width = (dim + 7) // 8
        open_chunk = self.conn.execute(
            "SELECT id, width, live, ids, signs FROM vector_chunks WHERE day = ? ORDER BY id DESC LIMIT 1", (day,)).fetchone()
        if open_chunk is not None and open_chunk[1] == width and len(open_chunk[3]) < 8 * CHUNK:
            chunk_id, _, live, ids_blob, signs = open_chunk
            ids = _ids(ids_blob)
            fitting, items = items[:CHUNK - len(ids)], items[CHUNK - len(ids):]
            self._rows(chunk_id, len(ids), fitting)
            ids.extend(article_id for article_id, _ in fitting)
            self.conn.execute("UPDATE vector_chunks SET live = ?, ids = ?, signs = ? WHERE id = ?",
                              (live + len(fitting), _blob(ids), signs + _signs(fitting, dim), chunk_id))
        for first in range(0, len(items), CHUNK):
            part = items[first:first + CHUNK]
            cursor = self.conn.execute(
                "INSERT INTO vector_chunks (day, width, live, ids, signs) VALUES (?, ?, ?, ?, ?)",
                (day, width, len(part), _blob(a for a, _ in part), _signs(part, dim)))
            self._rows(cursor.lastrowid, 0, part)

    def _rows(self, chunk_id: int, first: int, items: list[tuple[int, bytes]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO article_vectors (article_id, chunk_id, slot, vector) VALUES (?, ?, ?, ?)",
                              [(article_id, chunk_id, first + i, vector) for i, (article_id, vector) in enumerate(items)])

    def _drop_stored(self, article_id: int) -> None:
        where = self.conn.execute("SELECT chunk_id, slot FROM article_vectors WHERE article_id = ?", (article_id,)).fetchone()
        if where is None:
            return
        chunk_id, slot = where
        self.conn.execute("DELETE FROM article_vectors WHERE article_id = ?", (article_id,))
        live, ids_blob = self.conn.execute("SELECT live, ids FROM vector_chunks WHERE id = ?", (chunk_id,)).fetchone()
        if live <= 1:
            self.conn.execute("DELETE FROM vector_chunks WHERE id = ?", (chunk_id,))
            return
        ids = _ids(ids_blob)
        ids[slot] = 0
        self.conn.execute("UPDATE vector_chunks SET live = ?, ids = ? WHERE id = ?", (live - 1, _blob(ids), chunk_id))

    # reading (pending vectors are written first: only the open transaction has any)

    def window_signs(self, first_day: int, last_day: int, width: int) -> tuple[list[int], bytes]:
        """The ids of the window's articles with a vector of `width` sign bytes, and their signs end to end, by day."""
        self.flush()
        if last_day - first_day > WIDE_DAYS:
            kept = self._every_sign(width)
            if kept is not None:
                days, ids, signs = kept
                lo, hi = bisect_left(days, first_day), bisect_right(days, last_day)
                return ids[lo:hi].tolist(), signs[lo * width:hi * width]
        days, ids, signs = self._read_signs(first_day, last_day, width)
        return ids.tolist(), signs

    def _every_sign(self, width: int) -> tuple[array, array, bytes] | None:
        """Every sign of `width` bytes with its day and id, kept by this connection until the file changes (None when
        there are more than KEEP_SIGNS): background coverage searches a span of years on every answer, and reading
        a corpus's chunks again each time cost more than the search itself (10 ms of 12 at 10k articles)."""
        stamp = (self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes, width)
        if self._kept is None or self._kept[0] != stamp:
            live = self.conn.execute("SELECT coalesce(sum(live), 0) FROM vector_chunks WHERE width = ?",
                                     (width,)).fetchone()[0]
            self._kept = (stamp, self._read_signs(None, None, width) if live <= KEEP_SIGNS else None)
        return self._kept[1]

    def _read_signs(self, first_day: int | None, last_day: int | None, width: int) -> tuple[array, array, bytes]:
        where = "width = ?" if first_day is None else "width = ? AND day BETWEEN ? AND ?"
        params = (width,) if first_day is None else (width, first_day, last_day)
        days, ids, parts = array("q"), array("q"), []
        for day, live, ids_blob, signs in self.conn.execute(
                f"SELECT day, live, ids, signs FROM vector_chunks WHERE {where} ORDER BY day, id", params):
            chunk_ids, before = _ids(ids_blob), len(ids)
            if live == len(chunk_ids):
                ids.extend(chunk_ids)
                parts.append(signs)
            else:
                for slot, article_id in enumerate(chunk_ids):
                    if article_id:
                        ids.append(article_id)
                        parts.append(signs[slot * width:(slot + 1) * width])
            days.extend(array("q", [day]) * (len(ids) - before))
        return days, ids, b"".join(parts)

    def nearest(self, first_day: int, last_day: int, vector, k: int) -> list[tuple[int, float]]:
        """Up to k articles of the window whose vectors have the highest cosine with the unit `vector`, highest
        first: the RESCORE x k nearest by sign, then exact cosines (all of them when the window is that small). Ties
        go to the lowest id at both steps, as in PostgreSQL."""
        query = embed.pack(vector)
        ids, signs = self.window_signs(first_day, last_day, (len(query) + 7) // 8)
        if not ids:
            return []
        picked = [ids[i] for i in embed.nearest_by_signs(signs, embed.signs(query, len(query)), RESCORE * k, ids)]
        stored = self.get(picked)
        sims = embed.cosines(b"".join(stored.values()), vector)
        ranked = sorted(zip(stored, sims.tolist()), key=lambda item: (-item[1], item[0]))  # ties to the lowest id
        return ranked[:k]

    def window(self, first_day: int, last_day: int) -> tuple[list[int], bytes]:
        """Every vector of the window in full (what Corpus.window_vectors() promises; ranking uses nearest())."""
        self.flush()
        found: list[tuple[int, bytes]] = []
        for width in [r[0] for r in self.conn.execute("SELECT DISTINCT width FROM vector_chunks WHERE day BETWEEN ? AND ?",
                                                       (first_day, last_day))]:
            ids, _ = self.window_signs(first_day, last_day, width)
            found.extend(self.get(ids).items())
        return [a for a, _ in found], b"".join(v for _, v in found)

    def get(self, article_ids: list[int]) -> dict[int, bytes]:
        self.flush()
        found: dict[int, bytes] = {}
        for start in range(0, len(article_ids), 500):
            part = tuple(article_ids[start:start + 500])
            found.update(self.conn.execute(
                f"SELECT article_id, vector FROM article_vectors WHERE article_id IN ({','.join('?' * len(part))})", part))
        return found

    def problems(self) -> list[str]:
        rows = self.conn.execute("SELECT count(*) FROM article_vectors").fetchone()[0]
        live = self.conn.execute("SELECT coalesce(sum(live), 0) FROM vector_chunks").fetchone()[0]
        return [] if rows == live else [f"sentence vectors: {rows} articles have a vector but chunks hold {live} live signs"]


def _signs(items: list[tuple[int, bytes]], dim: int) -> bytes:
    return embed.signs(b"".join(vector for _, vector in items), dim)
