"""`python -m bench` (`make bench ARGS="..."`): see docs/benchmark.md."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path
from types import FrameType

from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.config import Settings
from bench import report
from bench.harness import Options, run

SCENARIOS = (
    "by-id",
    "hit",
    "by-slug",
    "list-first",
    "list-deep",
    "section",
    "search",
    "feed",
    "feed-304",
    "feed-build",
    "rendition",
    "first-render",
)


def parse(argv: list[str]) -> tuple[Options, Path | None]:
    """The run's options, and where to write the Markdown table (if anywhere)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Generate a news data set (SQLite or PostgreSQL), serve it with `khabar "
        "serve` (cold, and from a full edge cache) and with a bare uvicorn baseline that replays "
        "Khabar's responses, and load both from another process at each number of connections; "
        "likewise a cached image rendition against a static file server; time first renders "
        "and in-process feed builds.",
    )
    parser.add_argument("--articles", type=int, default=100_000, help="default: %(default)s")
    parser.add_argument(
        "--db",
        type=Path,
        help="SQLite file to keep the data set in and reuse (default: a temporary file)",
    )
    parser.add_argument(
        "--database-url",
        help="postgresql://USER@127.0.0.1:5432/NAME: keep the data set in this PostgreSQL "
        "database instead, created if missing and reused while it matches",
    )
    parser.add_argument(
        "--no-search-index",
        dest="search_index",
        action="store_false",
        help="do not build the data set's search index (it takes longer than the articles); "
        "the search scenario is then skipped",
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each run")
    parser.add_argument(
        "--connections",
        default="1,32",
        help="comma-separated numbers of connections; every scenario is measured at each "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes of every server (default: %(default)s; with more than "
        "one, nothing is pinned to a CPU)",
    )
    parser.add_argument(
        "--ids", type=int, default=300, help="article ids cycled over (default: %(default)s)"
    )
    parser.add_argument(
        "--slugs",
        type=int,
        default=100,
        help="article slugs cycled over (default: %(default)s; fewer than ids because each "
        "one is fetched from Khabar first, and slug lookups are slow)",
    )
    parser.add_argument(
        "--renders",
        type=int,
        default=7,
        help="photos rendered once each by first-render (default: %(default)s)",
    )
    parser.add_argument(
        "--feed-builds",
        type=int,
        default=20,
        help="in-process builds of the RSS feed timed by feed-build (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1, help="data set and photo seed")
    parser.add_argument(
        "--client",
        choices=("auto", "python", "wrk"),
        default="auto",
        help="load generator; auto = wrk when on PATH, else bench.loadgen",
    )
    parser.add_argument(
        "--baseline-access-log",
        choices=("auto", "on", "off"),
        default="auto",
        help="auto = whatever `khabar serve` does (default)",
    )
    parser.add_argument(
        "--only", help=f"comma-separated scenarios among {', '.join(SCENARIOS)} (default: all)"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="runs again a run during which other processes took more than 5%% of the "
        "server's CPU, up to this many times, keeping the quietest (default: %(default)s)",
    )
    parser.add_argument(
        "--edge-cache",
        type=float,
        default=Settings.model_fields["cache_max_mb"].default,
        metavar="MB",
        help="edge cache of the second Khabar server, which serves the hit scenario once the "
        "cache is full (default: %(default)s; 0 skips hit). The first one, which serves every "
        "other scenario, runs without.",
    )
    parser.add_argument(
        "--markdown", type=Path, help="also write the table to this file, as GitHub Markdown"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    if only and set(only) - set(SCENARIOS):
        parser.error(f"unknown scenario(s): {', '.join(sorted(set(only) - set(SCENARIOS)))}")
    try:
        connections = [int(c) for c in args.connections.split(",")]
    except ValueError:
        parser.error("--connections takes comma-separated numbers, e.g. 1,32")
    if (
        args.articles < 100
        or min(*connections, args.ids, args.slugs, args.renders, args.feed_builds, args.workers) < 1
    ):
        parser.error(
            "need --articles >= 100 and --connections, --ids, --slugs, --renders, "
            "--feed-builds, --workers >= 1"
        )
    if args.duration <= 0 or args.warmup < 0:
        parser.error("need --duration > 0 and --warmup >= 0")
    if args.db and args.database_url:
        parser.error("--db and --database-url are exclusive")
    if args.database_url:
        _check_database_url(parser, args.database_url)
    return Options(
        articles=args.articles,
        db=args.db.resolve() if args.db else None,
        database_url=args.database_url,
        duration=args.duration,
        warmup=args.warmup,
        connections=list(dict.fromkeys(connections)),
        ids=args.ids,
        slugs=args.slugs,
        seed=args.seed,
        client=args.client,
        baseline_access_log=args.baseline_access_log,
        only=only,
        keep=args.keep,
        retries=max(args.retries, 0),
        renders=args.renders,
        feed_builds=args.feed_builds,
        edge_cache_mb=max(args.edge_cache, 0),
        workers=args.workers,
        search_index=args.search_index,
    ), args.markdown


def _check_database_url(parser: argparse.ArgumentParser, value: str) -> None:
    """Only a local server, and a plain name: the harness drops and creates that database."""
    try:
        url = make_url(value)
    except ArgumentError:
        parser.error(f"--database-url: not a URL: {value}")
    if url.get_backend_name() != "postgresql":
        parser.error("--database-url must be a postgresql:// URL")
    if url.host not in ("127.0.0.1", "localhost"):
        parser.error("--database-url must point at 127.0.0.1 or localhost")
    if not re.fullmatch(r"[a-z0-9_]+", url.database or "") or url.database == "postgres":
        parser.error("--database-url needs a database name of [a-z0-9_], e.g. khabar_bench")


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    # Unwind like Ctrl-C, so that every child is stopped on the way out.
    raise KeyboardInterrupt


def main() -> int:
    options, markdown = parse(sys.argv[1:])
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C even when started from a shell that had SIGINT ignored (background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    console = Console()
    if not console.is_terminal:
        console = Console(width=170)  # a log file: no reason to squeeze the table into 80
    try:
        results = run(options, console)
    except KeyboardInterrupt:
        console.print("[red]Interrupted: every process started was stopped.[/red]")
        return 130
    report.show(console, results)
    path = report.write(results)
    console.print(f"Results: {_shown(path)}")
    if markdown is not None and results["scenarios"]:
        report.write_markdown(results, markdown)
        console.print(f"Markdown table: {_shown(markdown)}")
    return 0


def _shown(path: Path) -> Path:
    path = path.resolve()
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


if __name__ == "__main__":
    sys.exit(main())
