"""`python -m bench.textspeed`: how fast the search pipeline turns articles into terms.

Reads the bodies of the first articles of ../shared/data/arabic-news-sample.jsonl (internal
benchmark use only, see that directory's README) up to about 2 MB of UTF-8, or synthesises as
much Arabic news-like text from a small word list when the file is not there. Each body is one
call, as on an article save or a reindex. "cold" is a first pass with empty caches (a fresh
process, or a reindex's first articles); "warm" is the best of a few further passes, which is
close to a long reindex, where most words have been seen before.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.text import search

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "arabic-news-sample.jsonl"

# For the synthetic text: words with the variation the pipeline must absorb.
_SYNTHETIC = """
قال الرئيس الرَّئيسُ الحكومة الحكومـة الوزير وزير وزارة المسؤول مسئول المسؤولين أمريكا أميركا
الأمريكية الأميركية ترامب ترمب بوتين وبوتين لبنان ولبنان القاهرة بالقاهرة الانتخابات انتخابات
في من إلى على عن مع بعد قبل خلال بين أن إن التي الذي هذا هذه كما لكن قد لم لا كان كانت
مدرسة المدارس الاقتصاد الاقتصادية السياسية مجلس الأمن اللاجئين لاجئ شؤون شئون مؤتمر
كوفيد19 ٢٠٢٦ 2018 iPhone لـCNN بـ"فيسبوك" يوتيوب غوغل جوجل سوريا سورية الإيرانية فلسطين
"""


def corpus_bodies(limit_bytes: int) -> list[str]:
    bodies: list[str] = []
    size = 0
    if CORPUS.exists():
        with CORPUS.open(encoding="utf-8") as lines:
            for line in lines:
                body = json.loads(line)["body"]
                bodies.append(body)
                size += len(body.encode())
                if size >= limit_bytes:
                    break
        return bodies
    rng = random.Random(20260101)
    words = _SYNTHETIC.split()
    while size < limit_bytes:
        body = " ".join(rng.choice(words) for _ in range(250))
        bodies.append(body)
        size += len(body.encode())
    return bodies


def clear_caches() -> None:
    # The pipeline's per-word caches, emptied so that the first pass is a cold start.
    for cached in (search._word_terms, search.stem_arabic, search.stem_latin):
        cached.cache_clear()


def timed(function: Callable[[str], Any], bodies: list[str]) -> float:
    start = time.perf_counter()
    for body in bodies:
        function(body)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.textspeed", description=__doc__)
    parser.add_argument("--mb", type=float, default=2.0, help="UTF-8 megabytes (default: 2)")
    parser.add_argument("--repeat", type=int, default=3, help="warm passes (default: 3)")
    args = parser.parse_args()

    bodies = corpus_bodies(int(args.mb * 1_000_000))
    source = CORPUS.name if CORPUS.exists() else "synthetic text"
    size = sum(len(body.encode()) for body in bodies)
    count = sum(len(search.tokens(body)) for body in bodies)
    print(f"{source}: {len(bodies)} bodies, {size / 1e6:.2f} MB, {count} tokens")

    for name, function in (("tokens()", search.tokens), ("index_text()", search.index_text)):
        clear_caches()
        cold = timed(function, bodies)
        warm = min(timed(function, bodies) for _ in range(args.repeat))
        print(
            f"{name:<13} cold {count / cold:>10,.0f} tokens/s ({size / cold / 1e6:.1f} MB/s)"
            f"   warm {count / warm:>10,.0f} tokens/s ({size / warm / 1e6:.1f} MB/s)"
        )


if __name__ == "__main__":
    main()
