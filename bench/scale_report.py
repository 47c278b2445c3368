"""The table `rollekort bench scale` prints: each target of issue 13, its figure, met or not."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

START_S = 5.0
STORM_S = 30.0
STORM_RATIO = 2.0
KB_PER_HANDSET = 50.0
BURST_P99_S = 1.0
SOAK_GROWTH = 0.05


def _mark(ok: bool) -> str:
    return "[green]met[/green]" if ok else "[red]not met[/red]"


def report(console: Console, db: str, f: dict[str, Any], floor: dict[str, Any]) -> None:
    storm, burst, soak, rec = f["storm"], f["burst"], f["soak"], f["recorded"]
    table = Table(title=f"rollekort bench scale — {db}")
    for column in ("target", "figure", ""):
        table.add_column(column)
    _capacity_rows(table, f, floor)
    delivered_all = burst["delivered"] >= burst["expected"]
    table.add_row(
        "4 burst: every offer, p99 ≤ 1 s, 0 lost",
        f"{burst['presses']} presses in {burst['spread_s']:.2f} s: {burst['delivered']} of "
        f"{burst['expected']} offers, p50 {burst['p50_s']:.2f} s p99 {burst['p99_s']:.2f} s "
        f"max {burst['max_s']:.2f} s at the handsets' sockets (leaders' all-clear "
        f"{burst['all_clear_s']:g} s after their accept); as read by the generators p50 "
        f"{burst['read_p50_s']:.2f} s p99 {burst['read_p99_s']:.2f} s. CPU in its "
        f"{burst['seconds']:.1f} s: service {burst['service_cpu_s']:.1f} s, generators "
        f"{burst['generators_cpu_s']:.1f} s; the service's full collections: "
        f"{burst['full_collections']}, {burst['full_collections_s']:.2f} s",
        _mark(delivered_all and burst["p99_s"] <= BURST_P99_S),
    )
    table.add_row(
        "4/5 every alarm recorded (all presses of the run)",
        f"{rec['recorded']} of {rec['presses']} recorded ({rec['waited_s']:.0f} s after the "
        f"soak), {rec['closed']} closed, lost {rec['lost']}",
        _mark(rec["lost"] == 0),
    )
    errors = f["log_errors"]
    table.add_row(
        f"5 soak ({soak['seconds']:.0f} s): RSS growth ≤ 5 %, no error lines",
        f"{soak['presses']} presses, {soak['statuses']} statuses, RSS "
        f"{soak['rss0'] / 2**20:.0f} → {soak['rss1'] / 2**20:.0f} MiB ({soak['growth']:+.1%}), "
        f"{len(errors)} error lines, press → offer p99 {soak['p99_s']:.2f} s",
        _mark(soak["growth"] <= SOAK_GROWTH and not errors),
    )
    single = f["single"]
    table.add_row(
        "6 single press, all handsets connected",
        f"first offer p50 {single['p50_s'] * 1000:.1f} ms, max {single['max_s'] * 1000:.1f} ms "
        f"({single['count']} presses; `rollekort bench latency` for the 1,000-press figure)",
        "",
    )
    console.print(table)
    console.print(
        f"CPU seconds: service storm {storm['server_cpu_s']:.1f} (floor server "
        f"{floor['server_cpu_s']:.1f}); load generators storm {storm['gen_cpu_s']:.1f} (floor "
        f"{floor['gen_cpu_s']:.1f}), whole run {f['gen_cpu_s']:.1f}. SIGTERM during a storm: "
        f"exited in {f['sigterm']:.1f} s."
    )
    console.print(f"The service's log: {f['log']}")
    for line in errors[:5]:
        console.print(f"  log: {line}")
    for error in storm["errors"]:
        console.print(f"  storm failure: {error}")


def tried_again(storm: dict[str, Any]) -> str:
    """A storm's retries by kind, as the handset page would have made them: "2,293 tried again:
    1013 ×2,000, timed out ×293" (a close code, an HTTP status, "timed out", "refused", ...)."""
    retries: dict[str, int] = storm.get("retries", {})
    if not retries:
        return "none tried again"
    kinds = ", ".join(f"{kind} ×{n:,}" for kind, n in retries.items())
    return f"{sum(retries.values()):,} tried again: {kinds}"


def _capacity_rows(table: Table, f: dict[str, Any], floor: dict[str, Any]) -> None:
    """Targets 1 to 3: start, the handset storm against its floor, memory per handset."""
    storm = f["storm"]
    ratio = storm["all_s"] / floor["all_s"] if floor["all_s"] else math.nan
    per_handset_kb = (f["storm_rss"] - f["idle_rss"]) / max(1, storm["welcomed"]) / 1024
    all_welcomed = storm["failed"] == 0
    table.add_row(
        "1 restart → /readyz ≤ 5 s",
        f"{f['start_s']:.1f} s, {f['start_s'] / floor['start_s']:.1f}× the floor's start "
        f"({floor['start_s']:.1f} s: python, FastAPI, uvicorn); CPU {f['start_cpu_s']:.1f} s "
        f"(floor {floor['start_cpu_s']:.1f} s)",
        _mark(f["start_s"] <= START_S),
    )
    table.add_row(
        "1 first start (fresh database, no office cache)",
        f"{f['first_s']:.1f} s, CPU {f['first_cpu_s']:.1f} s",
        _mark(f["first_s"] <= START_S),
    )
    table.add_row(
        "2 storm: all welcomed ≤ 30 s",
        f"{storm['welcomed']} welcomed, {storm['failed']} failed ({tried_again(storm)}), "
        f"last at {storm['all_s']:.1f} s "
        f"(median {storm['p50_s']:.1f} s); offices with every handset: {f['offices_whole']}",
        _mark(all_welcomed and storm["all_s"] <= STORM_S),
    )
    table.add_row(
        "2 storm ≤ 2× the bare websocket floor",
        f"{ratio:.2f}× (floor: {floor['welcomed']} in {floor['all_s']:.1f} s)",
        _mark(ratio <= STORM_RATIO),
    )
    floor_kb = floor.get("kb_per_handset", math.nan)
    table.add_row(
        "3 RSS ≤ 50 kB per handset above idle",
        f"{per_handset_kb:.1f} kB ({f['idle_rss'] / 2**20:.0f} → {f['storm_rss'] / 2**20:.0f} "
        f"MiB); the floor server: {floor_kb:.1f} kB",
        _mark(per_handset_kb <= KB_PER_HANDSET),
    )
