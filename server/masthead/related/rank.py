"""Rank stored articles by how likely they report the same story as the reader's page, from other outlets."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from .. import embed, urls
from ..corpus.text import day_number, parse_published, terms

__all__ = ["Query", "rank", "related", "candidates", "confidence", "query_for_page", "stored_article", "outlet_of", "STOPWORDS",
           "THRESHOLD", "WINDOWS", "query_weights", "query_words", "select_terms", "QueryWords", "lexical_features", "useful", "fold", "unfolded", "names_in",
           "LEAD_CHARS", "words_language",
           "pick"]

MAX_QUERY_TERMS = 12  # distinctive words whose posting lists are read
POSTINGS_BUDGET = 15_000  # total document frequency of the chosen words: bounds the cost of one query
TERM_DF_SHARE = 0.05  # a term in more than 5% of articles does not say which story this is
BODY_WORDS = 400  # the lead of an article carries its story
WINDOWS = (7, 30)  # days either side of the article: the story's week first; wider only if that holds nothing
LEXICAL_CANDIDATES = 100  # by bm25 within the window
VECTOR_CANDIDATES = 50  # nearest vectors within the window
LEAD_CHARS = 1500  # of a candidate's text, compared with the query's words
UNKNOWN_DAYS = 3.0  # assumed distance when a date is missing
MIN_SHARED_WORDS = 2  # distinctive words a full text must share with a candidate for the words to count

# P(same story | how alike): logistic models fitted on bench/related_dev.py's candidates by bench/related_fit.py,
# rounded. cos = cosine of the USE vectors, cover = share of the query's word weight in the candidate, title =
# share of the candidate's headline words in the query. Time is not fitted (the dev set's dates are partly made
# up): a fixed prior, the one the baseline uses, halves the confidence every HALF_LIFE_DAYS.
HALF_LIFE_DAYS = 7.0
WITH_VECTORS = {"bias": -7.5, "cos": 20.0, "cover": 7.5, "title": 10.0}
LEXICAL_ONLY = {"bias": -2.7, "cover": 17.0, "title": 6.0}
# The lowest thresholds with >= 0.9 precision of what is shown in every dev set were 0.26 (with vectors) and 0.40
# (lexical only); 0.5 keeps a margin for sets we have not seen, for 0.002 of recall@5 on the dev sets.
THRESHOLD = 0.5

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
als sind war waren wird werden wurde hat haben hatte nach bei aus am um noch auch über nur wie vor seit bis zum zur
einer einen einem eines es sie er wir ihr ihre sein seine dass oder aber wenn so mehr mal erstmals erste ersten neue
montag dienstag mittwoch donnerstag freitag samstag sonntag heute gestern jahr jahren prozent
понедельник вторник среда среду четверг пятница пятницу суббота субботу воскресенье впервые году года лет также
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
    vector: object = None  # unit vector (numpy) of the headline and lead, or None: then ranking is lexical only
    language: str | None = None  # ISO 639-1 when known (a stored article's)
    outlet_language: str | None = None  # the outlet's language, when it publishes in one only (a title's likely)
    # What same-event and background ranking both derive from the query and the corpus, computed once an answer
    # (a full text's weights and word forms cost ~6 ms at 1M articles).
    memo: dict = field(default_factory=dict, repr=False, compare=False)


def words_language(query: Query) -> str | None:
    """The language a store that stems should match the query's words in: the article's, else its outlet's only."""
    return query.language or query.outlet_language


def stored_article(corpus, page: urls.PageURL) -> dict | None:
    """The stored article for this page, under its URL or the same URL over the other scheme."""
    stored = corpus.article(page.url)
    if stored is None and page.url.startswith(("http://", "https://")):
        other = "https://" + page.url[7:] if page.url.startswith("http://") else "http://" + page.url[8:]
        stored = corpus.article(other)
    return stored


LOOK_UP = object()  # query_for_page(stored=...): not looked up by the caller yet


def query_for_page(corpus, page: urls.PageURL, outlet, title: str | None, as_of: str, stored=LOOK_UP,
                   page_record: dict | None = None, encoder=None) -> Query | None:
    """The stored article (see stored_article(); the caller may pass what it found); else the page as fetched and extracted (`page_record`, when the
    server may fetch pages); else the title the browser sent.

    Its date is the stored or extracted one, else `as_of` (the request's, or today). Its vector is the stored
    one, else the encoder's (when embeddings are on): only the reader's article is embedded at query time.
    """
    if stored is LOOK_UP:
        stored = stored_article(corpus, page)
    outlet_id = outlet.id if outlet is not None else None
    only = outlet.languages[0] if outlet is not None and len(outlet.languages) == 1 else None
    domain = page.registered_domain or page.host
    query = None
    if stored is not None:
        query = Query(stored["title"], stored["text"], stored["published"] or as_of, stored["id"], domain, outlet_id,
                      language=stored.get("language"))
        if encoder is not None:
            blob = corpus.vectors([stored["id"]]).get(stored["id"])
            if blob is not None:
                query.vector = embed.as_matrix([blob])[0]
    elif page_record and (page_record.get("title") or page_record.get("text")):
        published = parse_published(page_record.get("published")) or as_of
        query = Query(page_record.get("title") or title or "", page_record.get("text") or "", published, None, domain,
                      outlet_id, outlet_language=only)
    if query is None and title:
        query = Query(title, "", as_of, None, domain, outlet_id, outlet_language=only)
    if query is not None and query.vector is None and encoder is not None:
        query.vector = encoder.encode([embed.embedding_text(query.title, query.text)])[0]
    return query


def related(corpus, registry, query: Query | None, as_of: str, limit: int = 8, per_outlet: int = 1) -> list[dict]:
    """Same-event coverage of the query's story (see rank()); nothing without a query."""
    if query is None:
        return []
    return rank(corpus, registry, query, as_of, limit, per_outlet=per_outlet)


def query_weights(query: Query, corpus) -> tuple[dict[str, float], dict[str, float], dict[str, int], int]:
    """Query terms -> weight (tf x idf, names and title words boosted), -> idf, -> document frequency."""
    return _memo(query, corpus, "weights", _query_weights)


def query_words(query: Query, corpus) -> "QueryWords":
    """The query's weighted words by every form that folds like them (QueryWords), once an answer."""
    return _memo(query, corpus, "words", lambda q, c: QueryWords(query_weights(q, c)[0]))


def _memo(query: Query, corpus, key: str, make):
    """make(query, corpus), kept in the query for this corpus (an answer asks the same corpus throughout)."""
    known = query.memo.get(key)
    if known is None or known[0] is not corpus:
        known = query.memo[key] = (corpus, make(query, corpus))
    return known[1]


def _query_weights(query: Query, corpus) -> tuple[dict[str, float], dict[str, float], dict[str, int], int]:
    title_words = [w for w in terms(query.title) if useful(w)]
    body_words = [w for w in terms(query.text)[:BODY_WORDS] if useful(w)]
    tf = Counter(body_words)
    for word in title_words:
        tf[word] += 3
    if not tf:
        return {}, {}, {}, 0
    total = max(1, corpus.count())
    df = corpus.doc_freqs(tf)
    names = names_in(query.title, query.text)
    own = 1 if query.article_id is not None else 0
    weights, idf = {}, {}
    for word, count in tf.items():
        n = df.get(word, 0) - own
        if n <= 0:
            continue  # no other article has it: it cannot find anything
        idf[word] = math.log(1 + (total - n + 0.5) / (n + 0.5))
        weights[word] = (1 + math.log(count)) * idf[word] * (1.5 if word in names else 1.0)
    return weights, idf, df, total


def useful(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS and not (word.isdigit() and len(word) < 4)


def names_in(title: str, text: str) -> set[str]:
    """Words written with a capital inside a sentence: people, places, organisations."""
    found = {m.group(1).casefold() for m in _NAME.finditer(text[:4000])}
    words = title.split()
    if words and sum(w[:1].isupper() for w in words) < 0.6 * len(words):  # not Title Case
        found |= {m.group(1).casefold() for m in _NAME.finditer(title)}
    return {w for part in found for w in terms(part)}


def select_terms(weights: dict[str, float], df: dict[str, int], total: int, max_terms: int = MAX_QUERY_TERMS,
                 budget: int = POSTINGS_BUDGET) -> list[str]:
    """The heaviest words whose posting lists, together, stay within `budget` (the cost of one query)."""
    chosen = []
    for word in sorted(weights, key=weights.get, reverse=True):
        n = df.get(word, 0)
        if n > max(50, TERM_DF_SHARE * total) or n > budget:
            continue
        chosen.append(word)
        budget -= n
        if len(chosen) == max_terms:
            break
    return chosen


def fold(word: str) -> str:
    """English plural and possessive endings folded for matching: sanctions ~ sanction, ties ~ tie."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def unfolded(word: str) -> tuple[str, ...]:
    """Every word fold() turns into the same as `word`: the word folded, with "s", and "y" as "ies"."""
    folded = fold(word)
    forms = (folded, folded + "s", folded[:-1] + "ies" if folded.endswith("y") else "")
    return tuple(form for form in forms if form and fold(form) == folded)


class QueryWords:
    """The query's words by every form that folds like them (_unfolded): a candidate's words are matched with one
    set intersection instead of folding its ~400 lead words or trying each of the query's ~200 words."""

    def __init__(self, weights: dict[str, float]):
        self.weights = list(weights.values())
        self.total = sum(self.weights) or 1.0
        self.by_form: dict[str, list[int]] = {}
        for index, word in enumerate(weights):
            for form in unfolded(word):
                self.by_form.setdefault(form, []).append(index)
        self.forms = set(self.by_form)

    def shared(self, words: set[str]) -> list[float]:
        found = {index for form in self.forms.intersection(words) for index in self.by_form[form]}
        return [self.weights[index] for index in found]


def lexical_features(query: QueryWords, query_title: set[str], row: dict, min_shared: int) -> tuple[float, float]:
    """(share of the query's word weight the candidate holds, share of the candidate's headline words in the query).

    Both are 0 when the candidate shares fewer than `min_shared` of the query's words: one word in common ("first",
    "record") says nothing about the story of a full text.
    """
    title_words = [w for w in terms(row["title"] or "") if useful(w)]
    title = {fold(w) for w in title_words}
    shared = query.shared(set(title_words).union(terms((row["text"] or "")[:LEAD_CHARS])))
    if len(shared) < min_shared:
        return 0.0, 0.0
    return sum(shared) / query.total, (len(title & query_title) / len(title) if title else 0.0)


def candidates(corpus, query: Query) -> list[dict]:
    """The story's candidates, each with its features and same-story `confidence`, most confident first.

    Time comes first: candidates are taken from the window of STORY_DAYS either side of the article's day, by
    shared distinctive words (the engine's bm25) and, when the query has a vector, by the nearest stored vectors
    (which cross languages). Only when that window holds no candidate at all does it widen to WIDE_DAYS.
    """
    qday = day_number(query.published)
    weights, _idf, df, total = query_weights(query, corpus)
    chosen = select_terms(weights, df, total) if weights else []
    found: dict[int, dict] = {}
    for days in WINDOWS:
        lo, hi = (qday - days, qday + days) if qday is not None else (-10**9, 10**9)
        for article_id, score in corpus.lexical_candidates(chosen, lo, hi, LEXICAL_CANDIDATES, words_language(query)):
            found.setdefault(article_id, {})["bm25"] = score
        if query.vector is not None:
            for article_id, cos in corpus.nearest_in_window(lo, hi, query.vector, VECTOR_CANDIDATES + 1):
                found.setdefault(article_id, {})["cos"] = cos
        found.pop(query.article_id, None)
        if found or qday is None:
            break
    if not found:
        return []
    if query.vector is not None:  # lexical candidates found without their vector
        stored = corpus.vectors([article_id for article_id, f in found.items() if "cos" not in f])
        if stored:
            for article_id, sim in zip(stored, embed.cosines(b"".join(stored.values()), query.vector)):
                found[article_id]["cos"] = float(sim)
    rows = corpus.rows(list(found))
    query_title = {fold(w) for w in terms(query.title) if useful(w)}
    words = query_words(query, corpus)
    min_shared = MIN_SHARED_WORDS if query.text else 1  # a headline alone has few words
    for row in rows:
        cover, title = lexical_features(words, query_title, row, min_shared)
        apart = abs(row["day"] - qday) if row.get("day") is not None and qday is not None else UNKNOWN_DAYS
        row["features"] = {"cos": found[row["id"]].get("cos"), "cover": cover, "title": title, "days": apart}
        row["confidence"] = confidence(row["features"])
    rows.sort(key=lambda r: -r["confidence"])
    return rows


def confidence(features: dict) -> float:
    """P(same story): a logistic model of how alike the two articles are (cos is None when either has no vector),
    times the date prior 2^(-days apart / HALF_LIFE_DAYS), so that confidence keeps falling with time."""
    model = WITH_VECTORS if features.get("cos") is not None else LEXICAL_ONLY
    z = model["bias"] + model["cover"] * features["cover"] + model["title"] * features["title"]
    if features.get("cos") is not None:
        z += model["cos"] * features["cos"]
    return 2.0 ** (-features["days"] / HALF_LIFE_DAYS) / (1.0 + math.exp(-z))


def rank(corpus, registry, query: Query, as_of: str, limit: int = 8, per_outlet: int = 1,
         threshold: float | None = None) -> list[dict]:
    """Up to `limit` articles from other outlets that report the same story, most confident first.

    Only articles whose same-story confidence reaches `threshold` (THRESHOLD: >= 0.9 precision on the dev
    benchmark) are listed; when none does, the answer is empty: no coverage of this story was found.
    """
    if limit <= 0:
        return []
    threshold = THRESHOLD if threshold is None else threshold
    scored = [r for r in candidates(corpus, query) if r["confidence"] >= threshold]
    return pick([(r["confidence"], r) for r in scored], registry, query, as_of, limit, per_outlet)


def pick(scored, registry, query: Query, as_of: str, limit: int, per_outlet: int) -> list[dict]:
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
            "confidence": round(c["confidence"], 3), "language": c.get("language"),
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
