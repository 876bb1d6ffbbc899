"""The benchmark harness: `python -m bench` (see docs/benchmark.md).

Generates a data set, serves it with `khabar serve` and with a bare uvicorn baseline that
replays Khabar's own responses, loads both from another CPU and compares them.
"""
