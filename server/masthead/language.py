"""The language of an article's text, when its record does not say: py3langid (langid.py's model, 97 languages)."""

from __future__ import annotations

import threading

__all__ = ["detect", "available"]

MIN_PROBABILITY = 0.5  # below this the guess is a coin toss (short headlines: Luxembourgish for German)
_identifier = None
_lock = threading.Lock()


def available() -> bool:
    try:
        import py3langid  # noqa: F401
    except ImportError:
        return False
    return True


def _get():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def detect(title: str | None, text: str | None) -> str | None:
    """ISO 639-1 code of the headline and lead, or None when unsure or the detector is not installed.

    ~0.4 ms a record; the model (~100 MB in memory) loads on first use, so only ingest pays for it.
    """
    sample = f"{title or ''} {(text or '')[:400]}".strip()
    if len(sample) < 12 or not available():
        return None
    language, probability = _get().classify(sample)
    return language if probability >= MIN_PROBABILITY else None
