"""Issue 26, items 1-4: inputs that took the machine down: decompression bombs in every file ingest reads, and a
page whose one element carries tens of thousands of attributes. Each bomb is ingested in a fresh process whose
peak memory is measured."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import time
import zlib

import pytest

from servers import ROOT
from masthead.extract import extract_html

BOMB_BYTES = 256 * 1024 * 1024  # 256 MiB of HTML, ~250 KB of gzip; 50x the per-record cap
ROOM_MB = 48  # what a bomb may add to the peak of ingesting one good page (the cap is 5 MiB)


def gzip_of_run(size: int, piece: bytes = b"b ") -> bytes:
    """gzip of `size` bytes of `piece` repeated, built a block at a time (never held whole)."""
    out = io.BytesIO()
    block = piece * (1 << 19)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as handle:
        for _ in range(size // len(block)):
            handle.write(block)
    return out.getvalue()


ARTICLE = ("<html><head><title>A small good page</title><link rel=canonical href='https://freepress.example/good'>"
           "</head><body><article><h1>A small good page</h1>" + "<p>Dorvik treaty signed by the ministers today.</p>" * 30
           + "</article></body></html>")

MEASURE = r"""
import json, resource, sys
from masthead import corpus as corpus_module, registry
from masthead.ingest import ingest
corpus = corpus_module.connect(sys.argv[2])
summary = ingest([sys.argv[1]], corpus, registry.load(sys.argv[3]), helpers=0, embedding=False)
print(json.dumps({"summary": summary.to_dict(), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def ingest_measured(path, tmp_path) -> dict:
    """Ingest one file in a fresh process: its summary and the process's peak resident memory (MB)."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(tmp_path / "c.db"),
                           str(ROOT / "tests" / "data" / "sources-small.yaml")],
                          capture_output=True, text=True, timeout=600, env={"PYTHONPATH": str(ROOT / "server"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def baseline_mb(tmp_path_factory) -> float:
    """The peak of the same ingest of one good page: libraries, language model, extraction."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "good.html").write_text(ARTICLE)
    return ingest_measured(folder / "good.html", folder)["peak_mb"]


def assert_refused_and_went_on(result, baseline_mb, where):
    summary = result["summary"]
    reasons = [f["reason"] for f in summary["failures"]]
    assert any("too large" in r and "decompressed" in r for r in reasons), summary
    assert summary["added"] == 1, summary  # the good record after the bomb is stored: the run went on
    print(f"{where}: peak {result['peak_mb']:.0f} MB (one good page: {baseline_mb:.0f} MB)")
    assert result["peak_mb"] < baseline_mb + ROOM_MB, (where, result["peak_mb"], baseline_mb)


def test_a_warc_record_with_a_gzip_bomb_is_refused_at_the_cap(tmp_path, baseline_mb):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "bomb.warc.gz"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body, encoding in (("https://freepress.example/bomb", gzip_of_run(BOMB_BYTES), "gzip"),
                                    ("https://freepress.example/good", ARTICLE.encode(), None)):
            headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
            if encoding:
                headers.append(("Content-Encoding", encoding))
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                               http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"))
            writer.write_record(record)
    assert path.stat().st_size < 1024 * 1024
    assert_refused_and_went_on(ingest_measured(path, tmp_path), baseline_mb, "warc")


def test_a_saved_html_gz_bomb_is_refused_at_the_cap(tmp_path, baseline_mb):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a-bomb.html.gz").write_bytes(gzip_of_run(BOMB_BYTES))
    (folder / "b-good.html").write_text(ARTICLE)
    assert_refused_and_went_on(ingest_measured(folder, tmp_path), baseline_mb, "html.gz")


def test_a_jsonl_gz_with_one_giant_line_is_refused_and_the_next_line_is_read(tmp_path, baseline_mb):
    good = json.dumps({"url": "https://freepress.example/good", "title": "A small good page",
                       "text": "Dorvik treaty signed by the ministers today. " * 20}).encode()
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as handle:
        handle.write(b'{"url": "https://freepress.example/bomb", "title": "t", "text": "')
        block = b"b " * (1 << 19)
        for _ in range(BOMB_BYTES // len(block)):
            handle.write(block)
        handle.write(b'"}\n' + good + b"\n")
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(out.getvalue())
    result = ingest_measured(path, tmp_path)
    assert_refused_and_went_on(result, baseline_mb, "jsonl.gz")
    assert [f["source"] for f in result["summary"]["failures"]] == ["bomb.jsonl.gz:1"]


# --- 4. one element with tens of thousands of attributes ------------------------------------------------

def attribute_page(count: int) -> str:
    body = "<p>The Dorvik treaty was signed by the ministers of both countries today, after years of talks.</p>" * 10
    return ("<html><head><title>Dorvik treaty signed</title></head><body><article><h1>Dorvik treaty signed</h1>" + body
            + "<div " + " ".join(f"a{i}=x" for i in range(count)) + ">the end of the story</div></article></body></html>")


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_page_with_one_element_of_40k_attributes_extracts_in_well_under_a_second(as_bytes):
    extract_html(attribute_page(10), url="https://freepress.example/a")  # trafilatura's first call loads its data
    page = attribute_page(40_000)
    page = page.encode() if as_bytes else page
    started = time.perf_counter()
    record = extract_html(page, url="https://freepress.example/a")
    seconds = time.perf_counter() - started
    print(f"40,000 attributes ({len(page) / 1e6:.2f} MB): extracted in {seconds:.3f} s")
    assert seconds < 1.0
    assert "Dorvik treaty was signed" in record["text"]


def test_ordinary_markup_passes_the_attribute_bound_unchanged():
    from masthead.extract import MAX_ATTRIBUTES, bounded_markup

    many = "<img " + " ".join(f'data-a{i}="v {i} > <b>"' for i in range(MAX_ATTRIBUTES - 1)) + " src='x.png'>"
    for page in (ARTICLE, ARTICLE.encode(), many, "<p title='a > b'>text</p><a href=\"x\"", "<div <<<>"):
        assert bounded_markup(page) == page
    too_many = "<p>keep</p><img " + " ".join(f"a{i}" for i in range(MAX_ATTRIBUTES + 1)) + "><p>me</p>"
    assert bounded_markup(too_many) == "<p>keep</p><img><p>me</p>"
    hidden = '<div title="<" ' + " ".join(f"a{i}=x" for i in range(MAX_ATTRIBUTES + 1)) + ">x</div>"
    assert bounded_markup(hidden) == "<div>x</div>"  # a `<` inside a quoted value does not hide the tag
