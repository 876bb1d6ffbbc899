"""The results: a table on the terminal and a JSON file, with the facts of the machine."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.servers import ROOT

RESULTS = ROOT / "bench" / "results" / "latest.json"
# A side is "client-bound" when the load generator used nearly a whole CPU while the server
# still had some to spare: its req/s are then a floor for the server, not its capacity.
BUSY = 0.90
# More than this share of the server's CPU going to other processes makes a run unreliable.
NOISY = 0.05


def machine() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)),  # what `nproc` prints
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        lscpu = ""
    for line in lscpu.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in ("Model name", "Hypervisor vendor", "CPU(s)", "Thread(s) per core"):
            facts[name.strip()] = value.strip()
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            facts["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    return facts


def revision() -> dict[str, Any]:
    """The commit measured, and the files of the app that differ from it (others edit them)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return ""
        return done.stdout.rstrip("\n")  # porcelain lines start with a space: keep it

    changed = git("status", "--porcelain", "--", "app", "migrations", "pyproject.toml")
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "changed": [line[3:] for line in changed.splitlines()],
    }


def client_bound(result: dict[str, Any]) -> bool:
    server = result.get("server_cpu")
    return result["client_cpu"] >= BUSY and server is not None and server < BUSY


COLUMNS = (
    "scenario",
    "conns",
    "K req/s",
    "K p50 ms",
    "K p99 ms",
    "B req/s",
    "B p50 ms",
    "B p99 ms",
    "ratio",
    "server CPU K/B",
    "client CPU K/B",
    "others K/B",
    "errors K/B",
)


def title(results: dict[str, Any]) -> str:
    settings = results["settings"]
    database = "PostgreSQL" if results.get("database") == "postgresql" else "SQLite"
    workers = settings.get("workers", 1)
    if results["cpus"]["server"] is not None:
        cpus = (
            f"servers on CPU {results['cpus']['server']}, client on CPU {results['cpus']['client']}"
        )
    else:
        cpus = "nothing pinned"
    return (
        f"Khabar (K) vs baseline (B): {results['dataset']['articles']:,} articles on {database}, "
        f"{workers} worker{'s' if workers > 1 else ''} per server ({cpus}), "
        f"{settings['duration']:g} s per run, client {settings['client']}"
    )


CAPTION = (
    "conns = connections of the load generator. ratio = K req/s / B req/s. B replays Khabar's "
    "bytes, except in rows marked (B = static): there it serves the same file with Starlette's "
    "StaticFiles. The cache-hit row is served by a second Khabar whose edge cache was filled "
    "first; every other K row by one without an edge cache. CPU columns, as a share of one CPU: "
    "the server's processes, the load generator, and other processes on the server's CPU."
)


def rows(results: dict[str, Any]) -> list[list[str]]:
    """The cells of the table, one row per scenario and number of connections."""
    out = []
    for row in results["scenarios"]:
        khabar, baseline = row["khabar"], row["baseline"]
        out.append(
            [
                row["title"] + (" (B = static)" if row.get("baseline") == "static" else ""),
                str(row["connections"]),
                _rps(khabar),
                f"{khabar['latency_ms']['p50']:.2f}",
                f"{khabar['latency_ms']['p99']:.2f}",
                _rps(baseline),
                f"{baseline['latency_ms']['p50']:.2f}",
                f"{baseline['latency_ms']['p99']:.2f}",
                f"{row['ratio']:.3f}",
                _pair(khabar, baseline, "server_cpu"),
                _pair(khabar, baseline, "client_cpu"),
                _pair(khabar, baseline, "server_cpu_others"),
                f"{khabar['errors']}/{baseline['errors']}",
            ]
        )
    return out


def table(results: dict[str, Any]) -> Table:
    out = Table(
        title=title(results),
        title_justify="left",
        caption=CAPTION,
        caption_justify="left",
    )
    for index, name in enumerate(COLUMNS):
        out.add_column(name, justify="left" if index == 0 else "right")
    for cells in rows(results):
        out.add_row(*cells)
    return out


def markdown(results: dict[str, Any]) -> str:
    """The table as GitHub Markdown, with its title, caption and the servers' peak RSS."""
    lines = [
        f"**{title(results)}**",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|---|" + "---:|" * (len(COLUMNS) - 1),
    ]
    for cells in rows(results):
        lines.append("| " + " | ".join(cell.replace("*", "\\*") for cell in cells) + " |")
    lines += ["", CAPTION, ""]
    lines += [f"- {label}, peak RSS: {value / 1024:,.1f} MiB" for label, value in peak_rss(results)]
    return "\n".join(lines) + "\n"


def write_markdown(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(results))


def peak_rss(results: dict[str, Any]) -> list[tuple[str, int]]:
    """(label, KiB) of every server that ran: VmHWM, summed over a server's workers."""
    labels = (
        ("khabar_peak_rss_kib", "Khabar"),
        ("khabar_cached_peak_rss_kib", "Khabar with full cache"),
        ("baseline_peak_rss_kib", "baseline"),
        ("static_peak_rss_kib", "static file server"),
    )
    return [(label, results[key]) for key, label in labels if results.get(key) is not None]


def _pair(khabar: dict[str, Any], baseline: dict[str, Any], key: str) -> str:
    return f"{_pct(khabar.get(key))}/{_pct(baseline.get(key))}"


def _rps(result: dict[str, Any]) -> str:
    text = f"{result['rps']:,.0f}"
    return f"{text}*" if client_bound(result) else text


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"


def first_render_table(first: dict[str, Any]) -> Table:
    width, height = first["photo"]["size"]
    rendition = first["rendition"]
    out = Table(
        title=f"First render: {width}×{height} JPEG (q{first['photo']['quality']}, "
        f"{first['photo']['mean_stored_bytes'] / 2**20:.1f} MiB stored) → "
        f"{rendition['size'][0]}×{rendition['size'][1]} {rendition['format']} "
        f"q{rendition['quality']} ({first['mean_rendition_bytes'] / 1024:.0f} KiB), "
        f"{first['count']} photos, each once",
        title_justify="left",
        caption="HTTP: one cold GET per photo on the running server, wall time at the client; "
        "the server's CPU time from /proc (10 ms ticks). In-process: imaging.render on the stored "
        "original, on the server's CPU while the servers are idle.",
        caption_justify="left",
    )
    out.add_column("")
    for name in ("median ms", "min ms", "max ms", "each ms"):
        out.add_column(name, justify="right")
    rows = [
        ("HTTP GET", first["http_ms"]),
        ("  server CPU during it", first["server_cpu_ms"]),
        ("in-process render", first["in_process_ms"]),
        ("  its CPU", first["in_process_ms"]["cpu"]),
    ]
    for label, values in rows:
        if values is None:  # no /proc
            continue
        out.add_row(
            label,
            f"{values['median']:,.0f}",
            f"{values['min']:,.0f}",
            f"{values['max']:,.0f}",
            " ".join(f"{v:.0f}" for v in values["each"]),
        )
    return out


def feed_build_table(built: dict[str, Any]) -> Table:
    out = Table(
        title=f"Feed build, in-process: RSS, {built['items']} items, "
        f"{'full content' if built['full_content'] else 'summaries'}, "
        f"{built['bytes'] / 1024:.0f} KiB, {built['builds']} builds",
        title_justify="left",
        caption="feeds.build + feeds.items_of (pages built anew, as without ready-made ones) + "
        "feeds.render in a read session of its own, on the server's CPU while the servers are "
        "idle; then the queries alone (ids, ORM rows) and feeds.render alone (lxml). "
        "Presenting (ArticleRead) is the rest.",
        caption_justify="left",
    )
    out.add_column("")
    for name in ("median ms", "min ms", "max ms"):
        out.add_column(name, justify="right")
    for label, key in (
        ("build + render (wall)", "build_ms"),
        ("  its CPU", "cpu_ms"),
        ("  queries (ids, full_by_ids)", "queries_ms"),
        ("  XML (feeds.render)", "render_ms"),
    ):
        values = built[key]
        out.add_row(
            label, f"{values['median']:,.1f}", f"{values['min']:,.1f}", f"{values['max']:,.1f}"
        )
    return out


def show(console: Console, results: dict[str, Any]) -> None:
    if results["scenarios"]:
        console.print(table(results))
    if results.get("feed_build"):
        console.print(feed_build_table(results["feed_build"]))
    first = results.get("first_render")
    if first:
        console.print(first_render_table(first))
        others = first.get("server_cpu_others") or 0.0
        if others > NOISY:
            console.print(
                f"[yellow]Other processes took {others:.0%} of the server's CPU during the "
                "first renders: those times are high.[/yellow]"
            )
    for key, reason in results.get("skipped", {}).items():
        console.print(f"[yellow]Skipped {key}: {reason}.[/yellow]")
    # With PostgreSQL, Khabar's "others" include the database server: no warning for them.
    database_on_cpus = results.get("database") == "postgresql"
    if any(
        (row[side].get("server_cpu_others") or 0) > NOISY
        for row in results["scenarios"]
        for side in SIDES
        if not (side == "khabar" and database_on_cpus)
    ):
        console.print(
            "[yellow]Other processes used the server's CPU during some runs (see others): "
            "those figures are low and noisy; run again on a quiet machine.[/yellow]"
        )
    if database_on_cpus and results["scenarios"]:
        console.print(
            "On PostgreSQL, Khabar's others column includes the database server, which works "
            "for it on the same CPUs."
        )
    if any(client_bound(row[side]) for row in results["scenarios"] for side in SIDES):
        console.print(
            "* the load generator used nearly a whole CPU while the server did not: "
            "that figure is the client's ceiling, the server may do more."
        )
    workers = results["settings"].get("workers", 1)
    for label, value in peak_rss(results):
        summed = f", {workers} workers and their supervisor" if workers > 1 else ""
        console.print(f"{label}, peak RSS (VmHWM{summed}): {value / 1024:,.1f} MiB")
    for row in results["scenarios"]:
        for side in SIDES:
            result = row[side]
            if result["errors"]:
                console.print(
                    f"[red]{row['title']}, {row['connections']} conn. / {side}: "
                    f"{result['errors']} errors {result['error_kinds']}[/red]"
                )
                for sample in result["error_samples"]:
                    console.print(f"  {sample}")


SIDES = ("khabar", "baseline")


def write(results: dict[str, Any], path: Path = RESULTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return path
