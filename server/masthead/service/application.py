"""The application object: the live list, the corpus, the encoder, reader pages, tokens and the curator, and the
operations the web views and the CLI both call (after datasette's `Datasette`)."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
import threading

from .. import corpus as corpus_module
from .. import embed, urls
from ..context import build_context, resolve, with_outlet
from ..corpus import CorpusUnavailable, RecordError
from ..curation import Curator
from ..fetch import Refused
from ..follow import follow_health
from ..ingest import store_record
from ..registry import LiveSources, Registry
from ..related import background, query_for_page, related, stored_article
from .errors import ServiceError
from .pages import Busy, ReaderPages
from .tokens import TokenStore

__all__ = ["Masthead"]

log = logging.getLogger("masthead.service")

COVERAGE_OUTLETS = 50  # same-event reports counted for "how this story was covered" (the answer lists `limit`)
BACKGROUND_ITEMS = 5  # the same story at other times
# Rankings (words searched, a sentence encoded, candidates scored) one process runs at once. Thirty-two clients with
# distinct 2,000-character titles held every thread and /api/ping waited behind them (issue 26); past this, an
# answer comes at once without coverage, saying so (`coverage_skipped`), and the threads stay free for the rest.
RANKING_SLOTS = 2


@dataclass
class Coverage:
    """What the corpus says about a page's story: same-event rows (every outlet that qualified), background rows, the
    page's own date when known, and why there is nothing when it was not looked up (busy, unavailable)."""

    related: list[dict] = field(default_factory=list)
    background: list[dict] = field(default_factory=list)
    published: str | None = None
    skipped: str | None = None


class Masthead:
    """One server's (or one command's) Masthead: built once from the settings, shared by every request.

    The corpus connection is per thread (corpus.local); everything else here is safe to share between threads.
    """

    def __init__(self, settings: dict):
        self.settings = settings
        self.sources = LiveSources(settings["SOURCES"], check_interval=settings.get("SOURCES_CHECK_INTERVAL", 1.0))
        self.db = settings["DB"]
        self.tokens = TokenStore(settings)
        self.curator = Curator(self.sources.path, git_commit=bool(settings.get("GIT_COMMIT")), publish=self.sources.install,
                               kept=self.sources.kept)
        self.fetch_pages = bool(settings.get("FETCH_PAGES"))
        self.store_pages = bool(settings.get("STORE_PAGES"))
        self.pages = ReaderPages(allow=settings.get("FETCH_ALLOW") or ()) if self.fetch_pages or self.store_pages else None
        self.use_vectors = bool(settings.get("EMBED", True)) and embed.available()
        self.ranking_slots = threading.BoundedSemaphore(settings.get("RANKING_SLOTS", RANKING_SLOTS))
        self._warm_lock, self._warming = threading.Lock(), False

    def warm(self) -> None:
        """Prepare in the background, once per process, what the first edit would otherwise wait for: the web
        views call it when someone opens the editor. Not at start: parsing the document (4.4 s of CPU for 22,000
        lines here) beside the first readers' requests made them wait (the first 10 titles p95 456 ms, not 36)."""
        with self._warm_lock:
            if self._warming:
                return
            self._warming = True
        threading.Thread(target=self._warm, name="masthead-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.curator.prepare()
        except Exception as exc:  # an optimisation only: the first edit does the same work
            log.info("could not prepare the editor's document: %s", exc)

    # --- what every operation reads ---

    def registry(self) -> Registry:
        return self.sources.current()

    def corpus(self):
        """This thread's corpus connection. Raises CorpusUnavailable."""
        return corpus_module.local(self.db)

    def encoder(self):
        """This process's sentence encoder (loaded on first use), or None when embeddings are off."""
        return embed.encoder() if self.use_vectors else None

    # --- the answer for a page ---

    def answer(self, url: str, title: str | None = None, as_of: str | None = None, limit: int = 8) -> dict:
        """The whole answer for a page: outlet, ownership chain, labels, control model, same-event coverage, the
        same story at other times (background) and how it was covered.

        Raises urls.URLError or context.ContextError for a URL or date that cannot be answered."""
        registry = self.registry()
        page, match, date = resolved = resolve(registry, url, as_of)
        found = self._coverage(registry, page, match.outlet if match else None, title, date) if limit else Coverage()
        return build_context(registry, url, date, related=found.related, background=found.background, limit=limit,
                             published=found.published, skipped=found.skipped, resolved=resolved)

    def story(self, url: str, title: str | None = None, as_of: str | None = None) -> dict:
        """The whole story a page reports, for /stories: the answer with every outlet that covered the event (not
        only the first few), its background, and for each report the other outlets that ran the same text."""
        registry = self.registry()
        page, match, date = resolved = resolve(registry, url, as_of)
        found = self._coverage(registry, page, match.outlet if match else None, title, date)
        answer = build_context(registry, url, date, related=found.related, background=found.background,
                               limit=COVERAGE_OUTLETS, published=found.published, skipped=found.skipped,
                               resolved=resolved)
        answer["published"] = found.published
        for item in answer["related"] + answer["background"]:
            item["copies"] = self._copies(registry, item, date)
        return answer

    def _copies(self, registry: Registry, item: dict, as_of: str) -> list[dict]:
        """Other outlets' URLs stored as the same (or a near-identical) text: wire copies of this report."""
        try:
            stored = self.corpus().article(item["url"])
        except CorpusUnavailable:
            return []
        own = (item.get("outlet") or {}).get("id") or item.get("registered_domain")
        copies, seen = [], {own}
        for known in (stored or {}).get("urls", []):
            if known["url"] == item["url"]:
                continue
            card = with_outlet(registry, dict(known), as_of)
            key = (card["outlet"] or {}).get("id") or known["registered_domain"]
            if key not in seen:
                seen.add(key)
                copies.append({"url": known["url"], "name": (card["outlet"] or {}).get("name") or known["site_name"] or key,
                               "control_model": card["control_model"]})
        return copies

    def _coverage(self, registry: Registry, page: urls.PageURL, outlet, title: str | None, as_of: str) -> Coverage:
        try:
            corpus = self.corpus()
            stored = stored_article(corpus, page)
            record = self._reader_page(page.url) if stored is None and self.fetch_pages else None
            if not self.ranking_slots.acquire(blocking=False):
                log.info("related coverage skipped: %d rankings already running in this process", RANKING_SLOTS)
                return Coverage(skipped="busy")
            try:
                query = query_for_page(corpus, page, outlet, title, as_of, stored=stored, page_record=record,
                                       encoder=self.encoder())
                if query is None:
                    return Coverage()
                same_event = related(corpus, registry, query, as_of, COVERAGE_OUTLETS)
                earlier_later = background(corpus, registry, query, as_of, BACKGROUND_ITEMS, same_event)
                return Coverage(same_event, earlier_later, query.published if (stored or record) else None)
            finally:
                self.ranking_slots.release()
        except CorpusUnavailable as exc:  # the rest of the answer (outlet, owners, labels) does not need the corpus
            log.warning("related coverage unavailable: %s", exc)
            return Coverage(skipped="unavailable")

    def _reader_page(self, url: str) -> dict | None:
        found = self.pages.get(url)
        return None if isinstance(found, Exception) else found

    # --- the corpus ---

    def search(self, q: str, limit: int, offset: int, as_of: str) -> dict:
        registry, corpus = self.registry(), self.corpus()
        plan = corpus.plan_search(q)
        rows = corpus.search(q, limit, offset)
        results = [with_outlet(registry, {
            "url": row["url"], "title": row["title"] or None, "published": row["published"],
            "snippet": row["snippet"] or None, "score": round(row["score"], 4),
            "registered_domain": row["registered_domain"], "site_name": row["site_name"], "outlet_id": row["outlet_id"],
        }, as_of) for row in rows]
        return {"query": q, "words": plan.words, "ignored": plan.ignored, "offset": offset,
                "count": len(results), "results": results}

    def article(self, url: str, as_of: str) -> dict | None:
        found = self.corpus().article(url)
        if found is None:
            return None
        found.pop("id", None)
        return with_outlet(self.registry(), found, as_of)

    def forget(self, url: str) -> list[str] | None:
        """Forget one stored article with every URL it is known under; None when it is not stored."""
        forgotten = self.corpus().delete(url)
        if self.pages is not None:
            self.pages.forget(url)  # this worker's copy of the fetched page, if any
        return forgotten

    def store_page(self, page: urls.PageURL, title: str, as_of: str) -> tuple[dict, str]:
        """Fetch the page a reader opted to add and store it through ingest's pipeline: (what is stored, status).

        Raises ServiceError with the status to answer."""
        if not self.store_pages or self.pages is None:
            raise ServiceError(403, "this server does not add readers' pages to its corpus",
                               {"hint": "start it with MASTHEAD_STORE_PAGES=1 to allow it"})
        corpus, registry = self.corpus(), self.registry()
        if corpus.has_url(page.url):
            return self._stored(page.url, "unchanged", as_of), "unchanged"
        found = self.pages.get(page.url)
        detail = {"url": page.url[:200]}
        if isinstance(found, Busy):
            raise ServiceError(503, str(found), detail)
        if isinstance(found, Refused):
            raise ServiceError(422, f"the server will not fetch this page: {without_addresses(str(found))}", detail)
        if isinstance(found, RecordError):
            raise ServiceError(422, str(found), detail)
        if isinstance(found, Exception):
            raise ServiceError(502, f"could not fetch the page: {without_addresses(str(found))}", detail)
        record = {**found, "url": page.url, "title": found.get("title") or title[:corpus_module.MAX_TITLE]}
        try:
            # No language detection: its model would add ~100 MB to every worker and seconds to the first request.
            status = store_record(record, corpus, registry, source="reader", embedding=self.use_vectors,
                                  detect_language=False).status
        except RecordError as exc:
            raise ServiceError(422, str(exc), detail) from None
        log.info("stored a reader's page from %s (%s)", page.host, status)
        return self._stored(page.url, status, as_of), status

    def _stored(self, url: str, status: str, as_of: str) -> dict:
        found = self.corpus().article(url) or {"url": url}
        return with_outlet(self.registry(), {"status": status, "url": found.get("url", url), "title": found.get("title"),
                                             "published": found.get("published"), "outlet_id": found.get("outlet_id")}, as_of)

    def corpus_stats(self) -> dict:
        try:
            return self.corpus().stats()
        except CorpusUnavailable as exc:
            return {"error": str(exc)}

    def follow_health(self) -> dict:
        """The followed feeds in short: ok / failing / dead, articles added in the last 24 h, the last round."""
        try:
            return follow_health(self.corpus())
        except CorpusUnavailable as exc:
            return {"error": str(exc)}


def without_addresses(message: str) -> str:
    """The reason without the addresses a name resolved to: what this server's resolver sees (an intranet's
    10.x address, say) is not the client's to learn (issue 13)."""
    words = []
    for word in message.split(" "):
        core = word.lstrip("('\"").rstrip(",;.'\")").removesuffix(":")
        if core.startswith("[") and "]" in core:
            core = core[1:core.index("]")]
        try:
            ipaddress.ip_address(core)
        except ValueError:
            words.append(word)
        else:
            words.append(word.replace(core, "(address withheld)"))
    return " ".join(words)
