"""Related coverage: other outlets' articles on the same story, ranked from the corpus. Ranking only: no web, no answers."""

from .over_time import (BACKGROUND_THRESHOLD, background, background_candidates, background_confidence,
                         background_for_page)
from .rank import STOPWORDS, THRESHOLD, Query, candidates, confidence, outlet_of, query_for_page, rank, related, stored_article

__all__ = ["Query", "rank", "related", "candidates", "confidence", "query_for_page", "stored_article", "outlet_of", "STOPWORDS",
           "THRESHOLD", "background", "background_for_page", "background_candidates", "background_confidence",
           "BACKGROUND_THRESHOLD"]
