"""The language of an article's text, when its record does not say: py3langid (langid.py's model, 97 languages).

py3langid finds the model's byte n-grams by walking its automaton one byte at a time in Python, which was ~45% of a
lexical ingest. The automaton recognises n-grams of at most `depth` bytes, so the state after any byte depends on the
last `depth` bytes alone: `_Fast` computes every position's state at once with numpy (`depth` vector steps instead of
one Python step a byte) and scores them exactly as py3langid does. tests/test_language.py holds it to py3langid's own
answers.
"""

from __future__ import annotations

import math
import threading
import unicodedata

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


class _Fast:
    """py3langid's classify() with the automaton walked for all positions at once."""

    def __init__(self, identifier):
        import numpy as np

        self.np = np
        self.nextmove = np.asarray(identifier.tk_nextmove, dtype=np.int64)
        self.rowbase = np.asarray(identifier.tk_row, dtype=np.int64) << 8
        self.output = np.asarray(identifier.tk_output, dtype=np.int64)
        self.ptc = np.asarray(identifier.nb_ptc, dtype=np.float32)
        self.pc = np.asarray(identifier.nb_pc, dtype=np.float32)
        self.classes = list(identifier.nb_classes)
        first: dict[str, int] = {}
        self.aliases = []  # (first column, duplicate column) of a label the model lists twice (srl -> sr)
        for i, label in enumerate(self.classes):
            if label in first:
                self.aliases.append((first[label], i))
            else:
                first[label] = i
        self.depth = self._depth()

    def _depth(self) -> int:
        """The longest n-gram the automaton recognises: the most bytes needed to reach any state from the start.
        Breadth first over the automaton's distinct rows (states share rows), ~0.4 s once a process."""
        np = self.np
        rows = self.rowbase >> 8
        seen = np.zeros(len(rows), dtype=bool)
        seen[0] = True
        frontier, depth, byte = np.array([0]), 0, np.arange(256)
        while True:
            reached = np.zeros(len(rows), dtype=bool)
            reached[self.nextmove[((np.unique(rows[frontier]) << 8)[:, None] + byte).ravel()]] = True
            reached &= ~seen
            if not reached.any():
                return depth
            seen |= reached
            frontier, depth = np.flatnonzero(reached), depth + 1

    def _states(self, data):
        """The automaton's state after each byte of `data` (a uint8 array)."""
        np, depth, n = self.np, self.depth, len(data)
        head, state = [], 0
        for letter in data[:depth - 1].tolist():  # positions with fewer than `depth` bytes behind them
            state = int(self.nextmove[self.rowbase[state] + letter])
            head.append(state)
        if n < depth:
            return np.array(head, dtype=np.int64)
        width = n - depth + 1
        states = np.zeros(width, dtype=np.int64)
        for k in range(depth):
            states = self.nextmove[self.rowbase[states] + data[k:k + width]]
        return np.concatenate([np.array(head, dtype=np.int64), states])

    def classify(self, text: str) -> tuple[str, float]:
        np = self.np
        if text.isupper():
            text = text.lower()
        encoded = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        features = self.output[self._states(np.frombuffer(encoded, dtype=np.uint8))]
        features = features[features >= 0]
        if len(features):
            index, counts = np.unique(features, return_counts=True)
            scores = np.log1p(counts.astype(np.float32)) @ self.ptc[index] + self.pc
        else:
            scores = np.zeros(len(self.classes), dtype=np.float32)
        scores *= 1.0 / math.sqrt(len(encoded) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for i, j in self.aliases:
            scores[i] += scores[j]
            scores[j] = 0.0
        best = int(scores.argmax())
        return self.classes[best], float(scores[best])


def _get():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = _Fast(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
    return _identifier


def detect(title: str | None, text: str | None) -> str | None:
    """ISO 639-1 code of the headline and lead, or None when unsure or the detector is not installed.

    ~0.1 ms a record; the model (~100 MB in memory) loads on first use, so only ingest pays for it.
    """
    sample = f"{title or ''} {(text or '')[:400]}".strip()
    if len(sample) < 12 or not available():
        return None
    language, probability = _get().classify(sample)
    return language if probability >= MIN_PROBABILITY else None
