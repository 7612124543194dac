"""Language detection: masthead.language walks py3langid's automaton for all positions at once; its answers must be
py3langid's own, to the probability, on real multilingual texts and on hostile strings."""

import json
import random
from pathlib import Path

import pytest

from masthead import language

py3langid = pytest.importorskip("py3langid.langid")
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def reference():
    return py3langid.LanguageIdentifier.from_model_file(py3langid.MODEL_FILE, norm_probs=True)


def _samples() -> list[str]:
    texts = []
    for name in ("related-multilingual.jsonl", "story-threads.jsonl", "articles-small.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(f"{record.get('title') or ''} {(record.get('text') or '')[:400]}".strip())
    rng = random.Random(7)
    alphabet = "abcxyzäöüßйцукенгшщзхъ中文字日本語العربية €$%^&*()0123456789 \n\t\ud800\x00"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(500)]
    return texts + ["", "a", "ab", "abcde", "ÉCOLE PRIMAIRE FERMÉE", "ПУТИН И ЛУКАШЕНКО", "x" * 5000]


def test_answers_are_py3langids_own(reference):
    fast = language._get()
    texts = _samples()
    assert len(texts) > 500
    languages = set()
    for text in texts:
        expected_language, expected_probability = reference.classify(text)
        got_language, got_probability = fast.classify(text)
        assert got_language == expected_language, text[:80]
        assert got_probability == pytest.approx(expected_probability, abs=1e-5), text[:80]
        languages.add(got_language)
    assert {"en", "de", "ru"} <= languages


def test_the_automatons_depth_bounds_every_state():
    # The shortcut is exact only if no state needs more than `depth` bytes to be reached from the start.
    fast = language._get()
    assert 1 <= fast.depth <= 16
    data = bytes(range(256)) * 3
    import numpy as np

    state, walked = 0, []
    for letter in data:
        state = int(fast.nextmove[fast.rowbase[state] + letter])
        walked.append(state)
    assert fast._states(np.frombuffer(data, dtype=np.uint8)).tolist() == walked


def test_detect_reads_headline_and_lead():
    assert language.detect("Путин и Лукашенко обсудили санкции", "Президенты России и Белоруссии встретились в Минске.") == "ru"
    assert language.detect("Die Regierung beschließt neue Sanktionen", "Der Bundestag stimmte am Donnerstag zu.") == "de"
    assert language.detect("ok", None) is None
