"""One benchmark run from start to finish: data, media, servers, responses, loads, report."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from rich.console import Console
from sqlalchemy.engine import make_url

from bench import feed, media, report
from bench.dataset import DatasetInfo, ensure_dataset, postgres_version
from bench.load import LoadSettings, choose_tool, run_load
from bench.report import NOISY
from bench.scenarios import Responses, Scenario, capture, fill_cache, plan
from bench.servers import (
    HOST,
    CpuPlan,
    Processes,
    Server,
    start_baseline,
    start_khabar,
    start_static,
    uvicorn_options,
)


@dataclass
class Options:
    articles: int
    db: Path | None
    database_url: str | None
    duration: float
    warmup: float
    connections: list[int]
    ids: int
    slugs: int
    seed: int
    client: str
    baseline_access_log: str
    only: list[str] | None
    keep: bool
    retries: int
    renders: int
    feed_builds: int
    edge_cache_mb: float = 64.0
    workers: int = 1
    search_index: bool = True

    def selected(self, key: str) -> bool:
        return self.only is None or key in self.only


def run(options: Options, console: Console) -> dict[str, Any]:
    for module in ("uvloop", "httptools"):
        # `khabar serve` asks uvicorn for "auto"; without these it would quietly use asyncio
        # and h11 while the baseline (which names them) failed, or the other way round.
        if importlib.util.find_spec(module) is None:
            raise SystemExit(f"{module} is not installed in {sys.prefix}")
    started = datetime.now(UTC)
    machine = report.machine()  # before this process pins itself to one CPU
    cpus = CpuPlan.choose(workers=options.workers)
    if options.workers > 1:
        console.print(
            f"[yellow]{options.workers} workers per server: nothing is pinned; servers, load "
            f"generator and harness share the machine's {machine['nproc']} CPUs.[/yellow]"
        )
    elif cpus.server is None:
        console.print("[yellow]Fewer than 2 CPUs: servers and client are not pinned.[/yellow]")
    tool = choose_tool(options.client)
    skipped: dict[str, str] = {}
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="khabar-bench-"))
        if options.keep:
            console.print(f"Work directory (kept): {workdir}")
        else:
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        processes = stack.enter_context(Processes())  # stopped before the directory goes

        dataset = ensure_dataset(
            options.database_url or f"sqlite:///{options.db or workdir / 'khabar.db'}",
            articles=options.articles,
            seed=options.seed,
            search_index=options.search_index,
            console=console,
        )
        _describe(console, dataset)
        if dataset.database == "postgresql":
            machine["postgresql"] = postgres_version(dataset.url)
        media_dir = _media_dir(options, dataset, workdir)
        if cpus.client is not None:
            # The harness itself only waits from here on; keep it off the server's CPU.
            os.sched_setaffinity(0, {cpus.client})
        every = plan(
            dataset.url,
            articles=dataset.articles,
            ids=options.ids,
            slugs=options.slugs,
            seed=options.seed,
            edge_cache_mb=options.edge_cache_mb,
        )
        if options.selected("search") and not dataset.search_index:
            skipped["search"] = "the data set has no search index (--no-search-index)"
        if options.selected("hit") and options.edge_cache_mb <= 0:
            skipped["hit"] = "--edge-cache 0 turns the edge cache off"
        scenarios = [s for s in every if options.selected(s.key) and s.key not in skipped]

        # Photo 0 is the rendition scenario's (and first-render's warm-up); the next ones are
        # rendered once each.
        seeds = []
        if options.selected("rendition") or options.selected("first-render"):
            seeds.append(f"{options.seed}-0")
        if options.selected("first-render"):
            seeds += [f"{options.seed}-{i}" for i in range(1, options.renders + 1)]
        items = (
            media.prepare(
                dataset.url, media_dir, seeds=seeds, avoid=_article_keys(every), console=console
            )
            if seeds
            else []
        )
        photo = items.pop(0) if items else None

        khabar = start_khabar(
            processes,
            name="khabar",
            database_url=dataset.url,
            media_dir=media_dir,
            cpu=cpus.server,
            log=workdir / "khabar.log",
            workers=options.workers,
        )
        # Every Khabar server of the run links to this one's address (see start_khabar).
        base_url = f"http://{HOST}:{khabar.port}"
        console.print(
            f"Khabar serving on port {khabar.port} (pid {khabar.pid}, "
            f"{_placed(cpus, options.workers)}, edge cache off)"
        )
        responses = capture(khabar.port, scenarios, console) if scenarios else Responses()
        khabar_logs = khabar.logs_requests()
        if khabar_logs:
            console.print(
                "[yellow]`khabar serve` writes an access log line per request "
                "(uvicorn's default, log level info).[/yellow]"
            )
        access_log = (
            khabar_logs
            if options.baseline_access_log == "auto"
            else options.baseline_access_log == "on"
        )
        servers = [khabar]
        baseline = static = None
        if scenarios:
            responses.write(workdir / "responses.json")
            baseline = start_baseline(
                processes,
                responses=workdir / "responses.json",
                access_log=access_log,
                cpu=cpus.server,
                log=workdir / "baseline.log",
                workers=options.workers,
            )
            servers.append(baseline)
            console.print(
                f"Baseline serving on port {baseline.port} (pid {baseline.pid}, "
                f"{_placed(cpus, options.workers)}, "
                f"access log {'on' if access_log else 'off'})"
            )
        if photo is not None and options.selected("rendition"):
            media.fetch_rendition(khabar, photo)  # rendered now if it is not yet
            static = start_static(
                processes,
                renditions=media_dir / "renditions",
                access_log=access_log,
                cpu=cpus.server,
                log=workdir / "static.log",
                workers=options.workers,
            )
            servers.append(static)
            console.print(
                f"Static file server on port {static.port} (pid {static.pid}, "
                f"{_placed(cpus, options.workers)}, "
                f"access log {'on' if access_log else 'off'})"
            )
            responses.lengths |= media.capture_rendition(khabar, static, photo, media_dir)
            scenarios.append(media.rendition_scenario(photo))

        feed_build = None
        if options.selected("feed-build"):
            for server in servers:
                server.wait_idle()
            feed_build = feed.generation(
                khabar,
                dataset.url,
                media_dir=media_dir,
                builds=options.feed_builds,
                cpu=cpus.server,
                console=console,
            )

        first_render = None
        if photo is not None and items:
            for server in servers:
                server.wait_idle()
            first_render = media.first_renders(
                khabar,
                items,
                warm=photo,
                media_dir=media_dir,
                cpu=cpus.server,
                retries=options.retries,
                console=console,
            )

        settings = LoadSettings(
            connections=options.connections[0],
            duration=options.duration,
            warmup=options.warmup,
            server_cpu=cpus.server,
            client_cpu=cpus.client,
            tool=tool,
            workdir=workdir,
        )
        rows = []
        rss: dict[str, int | None] = {}
        cache_fill = None
        for scenario in scenarios:
            other = static if scenario.baseline == "static" else baseline
            assert other is not None
            server = khabar
            if scenario.server == "cached":
                # Started and filled just before its runs: entries expire after
                # KHABAR_CACHE_S_MAXAGE, and while it is up it is one more process to keep idle.
                server = start_khabar(
                    processes,
                    name="khabar-cached",
                    database_url=dataset.url,
                    media_dir=media_dir,
                    cpu=cpus.server,
                    log=workdir / "khabar-cached.log",
                    workers=options.workers,
                    edge_cache_mb=options.edge_cache_mb,
                    base_url=base_url,
                )
                servers.append(server)
                console.print(
                    f"Khabar with its edge cache on port {server.port} (pid {server.pid}, "
                    f"{_placed(cpus, options.workers)}, "
                    f"KHABAR_CACHE_MAX_MB={options.edge_cache_mb:g})"
                )
                cache_fill = fill_cache(
                    server,
                    dataset.url,
                    hit=scenario,
                    responses=responses,
                    megabytes=options.edge_cache_mb,
                    console=console,
                )
            for connections in options.connections:
                rows.append(
                    _measure(
                        console,
                        processes,
                        scenario,
                        {"khabar": server, "baseline": other},
                        servers,
                        responses.lengths,
                        replace(settings, connections=connections),
                        retries=options.retries,
                        database_on_cpus=dataset.database == "postgresql",
                    )
                )
            if server is not khabar:
                rss[server.name] = server.peak_rss_kib()
                servers.remove(server)
                processes.stop(server.process)

        rss |= {server.name: server.peak_rss_kib() for server in servers}
        for server in reversed(servers):
            processes.stop(server.process)

    return {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": machine,
        "revision": report.revision(),
        "database": dataset.database,
        "cpus": {"server": cpus.server, "client": cpus.client, "pinned": cpus.server is not None},
        "settings": {
            "connections": options.connections,
            "workers": options.workers,
            "duration": options.duration,
            "warmup": options.warmup,
            "client": tool,
            "retries": options.retries,
            "ids": options.ids,
            "slugs": options.slugs,
            "renders": options.renders,
            "feed_builds": options.feed_builds,
            "edge_cache_mb": options.edge_cache_mb,
            "uvicorn": uvicorn_options(options.workers),
            "khabar_access_log": khabar_logs,
            "baseline_access_log": access_log,
        },
        "dataset": {
            **asdict(dataset),
            "url": make_url(dataset.url).render_as_string(hide_password=True),
            "path": str(dataset.path) if options.db else None,
        },
        "media_dir": str(media_dir) if options.db else None,
        "skipped": skipped,
        "scenarios": rows,
        "cache_fill": cache_fill,
        "first_render": first_render,
        "feed_build": feed_build,
        "khabar_peak_rss_kib": rss.get("khabar"),
        "khabar_cached_peak_rss_kib": rss.get("khabar-cached"),
        "baseline_peak_rss_kib": rss.get("baseline"),
        "static_peak_rss_kib": rss.get("static"),
    }


def _placed(cpus: CpuPlan, workers: int) -> str:
    """How a server runs: its workers, and the CPU they are pinned to."""
    count = "1 worker" if workers == 1 else f"{workers} workers"
    return f"{count}, cpu {cpus.server}" if cpus.server is not None else f"{count}, not pinned"


def _media_dir(options: Options, dataset: DatasetInfo, workdir: Path) -> Path:
    """Where Khabar keeps media: next to a kept data set, else in the work directory."""
    if options.db is None:
        return workdir / "media"
    media_dir = options.db.with_name(options.db.name + ".media")
    if dataset.generated:
        shutil.rmtree(media_dir, ignore_errors=True)  # the media of the data set it replaced
    return media_dir


def _article_keys(scenarios: list[Scenario]) -> set[str]:
    """Every path segment the scenarios request, unquoted: the ids and slugs they read."""
    return {
        unquote(segment)
        for scenario in scenarios
        for path in scenario.paths
        for segment in urlsplit(path).path.split("/")
    }


def _describe(console: Console, dataset: DatasetInfo) -> None:
    how = "generated in" if dataset.generated else "reused; it was generated in"
    index = (
        f"search index built in {dataset.index_seconds:.1f} s"
        if dataset.search_index and dataset.index_seconds is not None
        else "search index"
        if dataset.search_index
        else "no search index"
    )
    console.print(
        f"Data set ({'SQLite' if dataset.database == 'sqlite' else 'PostgreSQL'}): "
        f"{dataset.articles:,} articles, {dataset.sections} sections, "
        f"{dataset.tags} tags, {dataset.authors} authors; {how} {dataset.seconds:.1f} s; "
        f"{index}; {dataset.size_bytes / 2**20:,.0f} MiB; body {dataset.avg_words:.0f} words, "
        f"{dataset.avg_body_html_bytes / 1024:.1f} KiB of HTML on average"
    )


def _measure(
    console: Console,
    processes: Processes,
    scenario: Scenario,
    sides: dict[str, Server],
    servers: list[Server],
    lengths: dict[str, int],
    settings: LoadSettings,
    retries: int,
    database_on_cpus: bool,
) -> dict[str, Any]:
    """Both sides under the scenario's load; each run retried while others disturb it.

    With PostgreSQL, the database server works for Khabar on the same CPUs: in Khabar's runs
    its share of the server's CPU is part of the work measured, not a disturbance, and such a
    run is not taken again for it."""
    results: dict[str, dict[str, Any]] = {}
    for side, server in sides.items():
        tolerated = side == "khabar" and database_on_cpus
        for attempt in range(1 + retries):
            # A slow endpoint may still be working through requests of the previous run whose
            # client has gone; that work must not land in this run.
            for each in servers:
                each.wait_idle()
            console.print(
                f"  {scenario.title} ({scenario.note}), {settings.connections} conn. → "
                f"{server.name}: {settings.warmup:g} s warm-up + {settings.duration:g} s …",
                end="",
            )
            paths = scenario.paths_for(side)
            result = run_load(
                processes,
                server,
                paths,
                lengths if scenario.same_length else dict.fromkeys(paths, -1),
                settings,
                label=f"{scenario.key}-c{settings.connections}-{server.name}-{attempt}",
                headers=scenario.headers,
                status=scenario.status,
            )
            if result["requests"] == 0 and side == "baseline":
                raise RuntimeError(
                    f"no response completed against {server.name}: see {settings.workdir} (--keep)"
                )
            # Khabar may be too slow for the run (search on this data set): 0 req/s is the
            # figure, and the report says so rather than stopping the run.
            others = result["server_cpu_others"] or 0.0
            console.print(
                f" {result['rps']:,.0f} req/s, p99 {result['latency_ms']['p99']:.2f} ms"
                + (f", [red]{result['errors']} errors[/red]" if result["errors"] else "")
                + (
                    f", [yellow]others took {others:.0%} of its CPU[/yellow]"
                    if others > NOISY and not tolerated
                    else ""
                )
            )
            best = results.get(side)
            if best is None or others < (best["server_cpu_others"] or 0.0):
                results[side] = result
            # On a shared machine, a run disturbed by other processes is taken again.
            if others <= NOISY or tolerated:
                break
        results[side]["attempts"] = attempt + 1
    return {
        **scenario.to_json(),
        "connections": settings.connections,
        "mean_response_bytes": round(
            sum(lengths[p] if scenario.status == 200 else 0 for p in scenario.paths)
            / len(scenario.paths)
        ),
        "khabar": results["khabar"],
        "baseline": results["baseline"],
        "ratio": round(results["khabar"]["rps"] / max(results["baseline"]["rps"], 1e-9), 4),
    }
