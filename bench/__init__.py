"""The benchmark harness: `python -m bench` (see docs/benchmark.md).

Generates a data set, serves it with `khabar serve` and with a bare uvicorn baseline that
replays Khabar's own responses, loads both from another CPU and compares them; likewise a
cached image rendition against a static file server (bench/static.py), and times first renders
(bench/media.py).
"""
