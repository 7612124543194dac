"""Rank stored articles by how likely they report the same story as the reader's page, from other outlets."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass

from .. import urls
from ..corpus.text import parse_published, terms

__all__ = ["Query", "rank", "related", "query_for_page", "outlet_of", "STOPWORDS"]

MAX_QUERY_TERMS = 12  # distinctive words whose posting lists are read
POSTINGS_BUDGET = 15_000  # total document frequency of the chosen words: bounds the cost of one query
TERM_DF_SHARE = 0.05  # a term in more than 5% of articles does not say which story this is
BODY_WORDS = 400  # the lead of an article carries its story
HALF_LIFE_DAYS = 7.0  # coverage a week apart counts half as much as same-day coverage, never less than half
MIN_SHARED_TERMS = 2
CANDIDATES = 80  # re-ranked per query

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where which while who whom why
will with would you your yours yourself yourselves said says say told new one two three first last year years week
day days time may might must shall us per via amid into onto upon within without among across according would
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow mr mrs ms dr
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня еще
нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом
себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтобы без будто чего раз тоже себе под
будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда
зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая много
разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между
der die das und ist nicht ein eine zu den von mit sich des auf für im dem le la les de des et un une du en est que qui
pour dans el los las y en del que por con para una
""".split())
_NAME = re.compile(r"(?<![.!?:\"“«]\s)(?<!^)\b([A-ZÀ-ÞА-ЯЁ][\w'-]+)")


@dataclass
class Query:
    """What the reader is looking at: its words, date, and where it comes from (to leave it out)."""

    title: str
    text: str
    published: str | None
    article_id: int | None = None
    registered_domain: str | None = None
    outlet_id: str | None = None


def query_for_page(corpus, page: urls.PageURL, outlet, title: str | None, as_of: str, fetch_page=None) -> Query | None:
    """The stored article for this URL; else the fetched page (if allowed); else the title the browser sent."""
    stored = corpus.article(page.url)
    outlet_id = outlet.id if outlet is not None else None
    if stored is not None:
        return Query(stored["title"], stored["text"], stored["published"] or as_of, stored["id"], page.registered_domain or page.host, outlet_id)
    if fetch_page is not None:
        extracted = fetch_page(page.url)
        if extracted and (extracted.get("title") or extracted.get("text")):
            published = parse_published(extracted.get("published")) or as_of
            return Query(extracted.get("title") or title or "", extracted.get("text") or "", published, None,
                         page.registered_domain or page.host, outlet_id)
    if title:
        return Query(title, "", as_of, None, page.registered_domain or page.host, outlet_id)
    return None


def related(corpus, registry, page: urls.PageURL, outlet, title: str | None, as_of: str, limit: int = 8,
            fetch_page=None, per_outlet: int = 1) -> list[dict]:
    query = query_for_page(corpus, page, outlet, title, as_of, fetch_page)
    if query is None:
        return []
    return rank(corpus, registry, query, as_of, limit, per_outlet=per_outlet)


def _weights(query: Query, corpus) -> tuple[dict[str, float], dict[str, float], dict[str, int], int]:
    """Query terms -> weight (tf x idf, names and title words boosted), -> idf, -> document frequency."""
    title_words = [w for w in terms(query.title) if _useful(w)]
    body_words = [w for w in terms(query.text)[:BODY_WORDS] if _useful(w)]
    tf = Counter(body_words)
    for word in title_words:
        tf[word] += 3
    if not tf:
        return {}, {}, {}, 0
    total = max(1, corpus.count())
    df = corpus.doc_freqs(tf)
    names = _names(query.title, query.text)
    own = 1 if query.article_id is not None else 0
    weights, idf = {}, {}
    for word, count in tf.items():
        n = df.get(word, 0) - own
        if n <= 0:
            continue  # no other article has it: it cannot find anything
        idf[word] = math.log(1 + (total - n + 0.5) / (n + 0.5))
        weights[word] = (1 + math.log(count)) * idf[word] * (1.5 if word in names else 1.0)
    return weights, idf, df, total


def _useful(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS and not (word.isdigit() and len(word) < 4)


def _names(title: str, text: str) -> set[str]:
    """Words written with a capital inside a sentence: people, places, organisations."""
    found = {m.group(1).casefold() for m in _NAME.finditer(text[:4000])}
    words = title.split()
    if words and sum(w[:1].isupper() for w in words) < 0.6 * len(words):  # not Title Case
        found |= {m.group(1).casefold() for m in _NAME.finditer(title)}
    return {w for part in found for w in terms(part)}


def _select(weights: dict[str, float], df: dict[str, int], total: int) -> list[str]:
    chosen, budget = [], POSTINGS_BUDGET
    for word in sorted(weights, key=weights.get, reverse=True):
        n = df.get(word, 0)
        if n > max(50, TERM_DF_SHARE * total) or n > budget:
            continue
        chosen.append(word)
        budget -= n
        if len(chosen) == MAX_QUERY_TERMS:
            break
    return chosen


def _days(published: str | None) -> float | None:
    if not published:
        return None
    try:
        moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00")[:19] if "T" in published else published)
    except ValueError:
        return None
    return moment.toordinal() + (moment.hour * 3600 + moment.minute * 60) / 86400 if isinstance(moment, dt.datetime) else moment.toordinal()


def _decay(a: str | None, b: str | None) -> float:
    da, db = _days(a), _days(b)
    if da is None or db is None:
        return 0.75
    return 0.5 + 0.5 * 2 ** (-abs(da - db) / HALF_LIFE_DAYS)


def _fold(word: str) -> str:
    """English plural and possessive endings folded for matching: sanctions ~ sanction, ties ~ tie."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _title_cosine(q: dict[str, float], c: dict[str, float]) -> float:
    shared = sum(q[w] * c[w] for w in q.keys() & c.keys())
    norm = math.sqrt(sum(v * v for v in q.values()) * sum(v * v for v in c.values()))
    return shared / norm if norm else 0.0


def _forms(word: str, df: dict[str, int]) -> list[str]:
    """The word and its singular/plural forms that occur in the corpus."""
    base = _fold(word)
    return [f for f in dict.fromkeys((word, base, base + "s", base + "es", base[:-1] + "ies" if base.endswith("y") else base)) if f in df]


def rank(corpus, registry, query: Query, as_of: str, limit: int = 8, per_outlet: int = 1) -> list[dict]:
    """Up to `limit` articles most likely to report the same story, from other outlets, best first.

    Candidates are the articles holding the query's most distinctive words (their posting lists, at most
    POSTINGS_BUDGET entries in all), scored by the weight of the words they share; the best CANDIDATES are
    re-ranked by that coverage, headline similarity and closeness in time.
    """
    if limit <= 0:
        return []
    weights, idf, df, total = _weights(query, corpus)
    chosen = _select(weights, df, total) if weights else []
    if not chosen:
        return []
    variants = corpus.doc_freqs({f for w in chosen for f in (w + "s", w + "es", _fold(w), _fold(w) + "s")} - df.keys())
    known = {**df, **variants}
    holders: list[tuple[str, set[int]]] = []
    shared_count: Counter = Counter()
    for word in chosen:
        found: set[int] = set()
        for form in _forms(word, known):
            found.update(corpus.postings(form))
        found.discard(query.article_id)
        holders.append((word, found))
        shared_count.update(found)  # counted in C: posting lists can be tens of thousands long
    # A headline alone has few words: one distinctive word in common can be enough. A full text must share more.
    min_shared = min(MIN_SHARED_TERMS if query.text else 1, len(chosen))
    # Articles sharing several words are few: weigh each exactly. Those sharing one word are many: take them
    # word by word, heaviest word first, as many as could still make the cut.
    several = [a for a, n in shared_count.items() if n >= 2]
    if len(several) > CANDIDATES * 5:
        several = sorted(several, key=shared_count.__getitem__, reverse=True)[:CANDIDATES * 5]
    shared_weight = {a: sum(weights[w] for w, found in holders if a in found) for a in several}
    if min_shared == 1:
        for word, found in sorted(holders, key=lambda pair: -weights[pair[0]]):
            room = CANDIDATES - sum(1 for a in shared_weight if shared_count[a] == 1)
            if room <= 0:
                break
            for a in found:
                if shared_count[a] == 1:
                    shared_weight[a] = weights[word]
                    room -= 1
                    if room == 0:
                        break
    best = sorted(shared_weight, key=shared_weight.get, reverse=True)[:CANDIDATES]
    candidates = corpus.rows(best)
    if not candidates:
        return []
    chosen_weight = sum(weights[w] for w in chosen)
    query_title = {_fold(w): idf.get(w, 0.0) for w in terms(query.title) if _useful(w)}
    title_words = {w for c in candidates for w in terms(c["title"] or "") if _useful(w)}
    title_df = corpus.doc_freqs(title_words - idf.keys())
    scored = []
    for c in candidates:
        cand_title = {}
        for w in terms(c["title"] or ""):
            if _useful(w):
                n = df.get(w) or title_df.get(w, 1)
                cand_title[_fold(w)] = idf[w] if w in idf else math.log(1 + (total - n + 0.5) / (n + 0.5))
        coverage = shared_weight[c["id"]] / chosen_weight
        relevance = 0.5 * coverage + 0.5 * _title_cosine(query_title, cand_title)
        scored.append((relevance * _decay(query.published, c["published"]), c))
    scored.sort(key=lambda pair: -pair[0])
    return _pick(scored, registry, query, as_of, limit, per_outlet)


def _pick(scored, registry, query: Query, as_of: str, limit: int, per_outlet: int) -> list[dict]:
    seen: Counter = Counter()
    own_key = query.outlet_id or query.registered_domain
    results = []
    for score, c in scored:
        outlet = outlet_of(registry, c)
        key = outlet.id if outlet is not None else c["registered_domain"]
        if key == own_key or c["registered_domain"] == query.registered_domain or seen[key] >= per_outlet:
            continue
        seen[key] += 1
        results.append({
            "url": c["url"], "title": c["title"] or None, "published": c["published"],
            "snippet": _snippet(c.get("snippet") or c["text"]) or None, "score": round(score, 4),
            "registered_domain": c["registered_domain"],
            "site_name": c["site_name"] or (outlet.name if outlet is not None else None),
            "outlet_id": outlet.id if outlet is not None else None,
        })
        if len(results) == limit:
            break
    return results


def outlet_of(registry, row: dict):
    """Match again at answer time: the source list may have changed since the article was stored."""
    try:
        match = registry.match(urls.normalise(row["url"]))
    except urls.URLError:
        match = None
    if match is not None:
        return match.outlet
    return registry.outlets.get(row["outlet_id"]) if row.get("outlet_id") else None


def _snippet(text: str | None, size: int = 220) -> str:
    text = " ".join((text or "").split())
    if len(text) <= size:
        return text
    cut = text.rfind(" ", 0, size)
    return text[: cut if cut > size // 2 else size] + " …"
