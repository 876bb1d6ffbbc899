"""The rendition scenario's baseline: a bare Starlette app serving the rendition files as static
files, run by uvicorn exactly like Khabar (same options, one worker, same CPU).

Khabar serves a rendition it has already rendered by reading the file from its media directory;
this serves the very same file with Starlette's ``StaticFiles`` (stat, open and read in the
thread pool, ``ETag``/``Last-Modified`` from the stat), so the ratio between the two is what
Khabar's lookup (routing, the query parameters, the database check that the image is public,
the ETag and cache headers) costs on top of sending a file.

``/renditions/<id>/<name>`` is the storage key ``renditions/<id>/<name>`` under the directory
named by ``KHABAR_BENCH_RENDITIONS`` (read by the factory: ``uvicorn --factory
bench.static:create_app``). ``/healthz`` answers for the harness.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

RENDITIONS_ENV = "KHABAR_BENCH_RENDITIONS"
PREFIX = "/renditions"


async def healthz(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def create_app() -> Starlette:
    directory = os.environ[RENDITIONS_ENV]
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Mount(PREFIX, StaticFiles(directory=directory)),
        ]
    )
