"""One benchmark run from start to finish: data, servers, responses, loads, report."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import report
from bench.dataset import DatasetInfo, ensure_dataset
from bench.load import LoadSettings, choose_tool, run_load
from bench.report import NOISY
from bench.scenarios import Scenario, capture, plan
from bench.servers import (
    UVICORN_OPTIONS,
    CpuPlan,
    Processes,
    Server,
    start_baseline,
    start_khabar,
)


@dataclass
class Options:
    articles: int
    db: Path | None
    duration: float
    warmup: float
    connections: int
    ids: int
    slugs: int
    seed: int
    client: str
    baseline_access_log: str
    only: list[str] | None
    keep: bool
    retries: int


def run(options: Options, console: Console) -> dict[str, Any]:
    for module in ("uvloop", "httptools"):
        # `khabar serve` asks uvicorn for "auto"; without these it would quietly use asyncio
        # and h11 while the baseline (which names them) failed, or the other way round.
        if importlib.util.find_spec(module) is None:
            raise SystemExit(f"{module} is not installed in {sys.prefix}")
    started = datetime.now(UTC)
    machine = report.machine()  # before this process pins itself to one CPU
    cpus = CpuPlan.choose()
    if cpus.server is None:
        console.print("[yellow]Fewer than 2 CPUs: servers and client are not pinned.[/yellow]")
    tool = choose_tool(options.client)
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="khabar-bench-"))
        if options.keep:
            console.print(f"Work directory (kept): {workdir}")
        else:
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        processes = stack.enter_context(Processes())  # stopped before the directory goes

        dataset = ensure_dataset(
            options.db or workdir / "khabar.db",
            articles=options.articles,
            seed=options.seed,
            console=console,
        )
        _describe(console, dataset)
        if cpus.client is not None:
            # The harness itself only waits from here on; keep it off the server's CPU.
            os.sched_setaffinity(0, {cpus.client})
        scenarios = plan(
            dataset.url,
            articles=dataset.articles,
            ids=options.ids,
            slugs=options.slugs,
            seed=options.seed,
        )
        if options.only:
            scenarios = [s for s in scenarios if s.key in options.only]

        khabar = start_khabar(
            processes, database_url=dataset.url, cpu=cpus.server, log=workdir / "khabar.log"
        )
        console.print(f"Khabar serving on port {khabar.port} (pid {khabar.pid}, cpu {cpus.server})")
        lengths = capture(khabar.port, scenarios, workdir / "responses.json", console)
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
        baseline = start_baseline(
            processes,
            responses=workdir / "responses.json",
            access_log=access_log,
            cpu=cpus.server,
            log=workdir / "baseline.log",
        )
        console.print(
            f"Baseline serving on port {baseline.port} (pid {baseline.pid}, cpu {cpus.server}, "
            f"access log {'on' if access_log else 'off'})"
        )

        settings = LoadSettings(
            connections=options.connections,
            duration=options.duration,
            warmup=options.warmup,
            server_cpu=cpus.server,
            client_cpu=cpus.client,
            tool=tool,
            workdir=workdir,
        )
        rows = []
        for scenario in scenarios:
            rows.append(
                _measure(
                    console,
                    processes,
                    scenario,
                    khabar,
                    baseline,
                    lengths,
                    settings,
                    retries=options.retries,
                )
            )

        khabar_rss, baseline_rss = khabar.peak_rss_kib(), baseline.peak_rss_kib()
        processes.stop(baseline.process)
        processes.stop(khabar.process)

    return {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": machine,
        "revision": report.revision(),
        "cpus": {"server": cpus.server, "client": cpus.client},
        "settings": {
            "connections": options.connections,
            "duration": options.duration,
            "warmup": options.warmup,
            "client": tool,
            "retries": options.retries,
            "ids": options.ids,
            "slugs": options.slugs,
            "uvicorn": UVICORN_OPTIONS,
            "khabar_access_log": khabar_logs,
            "baseline_access_log": access_log,
        },
        "dataset": {**asdict(dataset), "path": str(dataset.path) if options.db else None},
        "scenarios": rows,
        "khabar_peak_rss_kib": khabar_rss,
        "baseline_peak_rss_kib": baseline_rss,
    }


def _describe(console: Console, dataset: DatasetInfo) -> None:
    how = "generated in" if dataset.generated else "reused; it was generated in"
    console.print(
        f"Data set: {dataset.articles:,} articles, {dataset.sections} sections, "
        f"{dataset.tags} tags, {dataset.authors} authors; {how} {dataset.seconds:.1f} s; "
        f"{dataset.size_bytes / 2**20:,.0f} MiB; body {dataset.avg_words:.0f} words, "
        f"{dataset.avg_body_html_bytes / 1024:.1f} KiB of HTML on average"
    )


def _measure(
    console: Console,
    processes: Processes,
    scenario: Scenario,
    khabar: Server,
    baseline: Server,
    lengths: dict[str, int],
    settings: LoadSettings,
    retries: int,
) -> dict[str, Any]:
    """Both servers under the scenario's load; each run retried while others disturb it."""
    results: dict[str, dict[str, Any]] = {}
    for server in (khabar, baseline):
        for attempt in range(1 + retries):
            # A slow endpoint may still be working through requests of the previous run whose
            # client has gone; that work must not land in this run.
            for each in (khabar, baseline):
                each.wait_idle()
            console.print(
                f"  {scenario.title} ({scenario.note}) → {server.name}: "
                f"{settings.warmup:g} s warm-up + {settings.duration:g} s …",
                end="",
            )
            result = run_load(
                processes,
                server,
                scenario.paths,
                lengths,
                settings,
                label=f"{scenario.key}-{server.name}-{attempt}",
            )
            if result["requests"] == 0:
                raise RuntimeError(
                    f"no response completed against {server.name}: see {settings.workdir} (--keep)"
                )
            others = result["server_cpu_others"] or 0.0
            console.print(
                f" {result['rps']:,.0f} req/s, p99 {result['latency_ms']['p99']:.2f} ms"
                + (f", [red]{result['errors']} errors[/red]" if result["errors"] else "")
                + (
                    f", [yellow]others took {others:.0%} of its CPU[/yellow]"
                    if others > NOISY
                    else ""
                )
            )
            best = results.get(server.name)
            if best is None or others < (best["server_cpu_others"] or 0.0):
                results[server.name] = result
            # On a shared machine, a run disturbed by other processes is taken again.
            if others <= NOISY:
                break
        results[server.name]["attempts"] = attempt + 1
    return {
        **scenario.to_json(),
        "mean_response_bytes": round(sum(lengths[p] for p in scenario.paths) / len(scenario.paths)),
        "khabar": results["khabar"],
        "baseline": results["baseline"],
        "ratio": round(results["khabar"]["rps"] / max(results["baseline"]["rps"], 1e-9), 4),
    }
