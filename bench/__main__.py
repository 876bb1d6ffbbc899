"""`python -m bench` (`make bench ARGS="..."`): see docs/benchmark.md."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from rich.console import Console

from bench import report
from bench.harness import Options, run

SCENARIOS = (
    "by-id",
    "by-slug",
    "list-first",
    "list-deep",
    "feed",
    "feed-304",
    "feed-build",
    "rendition",
    "first-render",
)


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Generate a news data set, serve it with `khabar serve` and with a bare "
        "uvicorn baseline that replays Khabar's responses, and load both from another CPU; "
        "likewise a cached image rendition against a static file server; time first renders "
        "and in-process feed builds.",
    )
    parser.add_argument("--articles", type=int, default=100_000, help="default: %(default)s")
    parser.add_argument(
        "--db",
        type=Path,
        help="SQLite file to keep the data set in and reuse (default: a temporary file)",
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each run")
    parser.add_argument("--connections", type=int, default=32, help="default: %(default)s")
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
        default=0,
        metavar="MB",
        help="run Khabar with its edge cache of this size, so that repeated URLs are cache "
        "hits (default: 0, off: every request goes through the app)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    if only and set(only) - set(SCENARIOS):
        parser.error(f"unknown scenario(s): {', '.join(sorted(set(only) - set(SCENARIOS)))}")
    if (
        args.articles < 100
        or min(args.connections, args.ids, args.slugs, args.renders, args.feed_builds) < 1
    ):
        parser.error(
            "need --articles >= 100 and --connections, --ids, --slugs, --renders, "
            "--feed-builds >= 1"
        )
    if args.duration <= 0 or args.warmup < 0:
        parser.error("need --duration > 0 and --warmup >= 0")
    return Options(
        articles=args.articles,
        db=args.db.resolve() if args.db else None,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
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
    )


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    # Unwind like Ctrl-C, so that every child is stopped on the way out.
    raise KeyboardInterrupt


def main() -> int:
    options = parse(sys.argv[1:])
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
    console.print(
        f"Results: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
