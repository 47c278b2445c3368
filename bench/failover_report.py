"""The tables `rollekort bench failover` prints, and the figures it returns (for the smoke test)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from bench.stats import Summary


def report(
    console: Console,
    one: Summary,
    many: Summary,
    gaps: dict[str, Summary],
    checked: dict[str, int],
    cpu: dict[str, float],
) -> dict[str, Any]:
    table = Table(title="press → offer through HAProxy, and the failover gap (ms)")
    for column in ("path", "n", "p50", "p99", "max"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for s in (one, many, *gaps.values()):
        table.add_row(s.name, str(s.count), f"{s.p50_ms:.1f}", f"{s.p99_ms:.1f}", f"{s.max_ms:.1f}")
    console.print(table)
    ratios = {"p50": many.p50_ms / one.p50_ms, "p99": many.p99_ms / one.p99_ms}
    console.print(
        f"{many.name.split(', ')[-1]} against 1: p50 {ratios['p50']:.2f}×, p99 {ratios['p99']:.2f}×"
    )
    mine = {k.removeprefix("load generator, "): v for k, v in cpu.items() if "generator" in k}
    theirs = {k.removeprefix("replicas, "): v for k, v in cpu.items() if k.startswith("replicas")}
    console.print(
        "CPU seconds of this process (button, handset, checks): "
        + ", ".join(f"{name} {spent:.2f}" for name, spent in mine.items())
    )
    console.print(
        "CPU seconds of the replicas during the presses: "
        + ", ".join(f"{name} {spent:.2f}" for name, spent in theirs.items())
    )
    console.print(", ".join(f"{name} {value}" for name, value in checked.items()))
    lost = checked["pressed"] - checked["alarms"]
    held = lost == 0 and checked["resolved"] == checked["alarms"] == checked["offered"]
    held = held and checked["chains ok"] == checked["chains checked"]
    console.print(
        "every press one alarm, offered, resolved, chain ok"
        if held
        else f"[red]NOT HELD: {lost} presses without an alarm, or an alarm not offered, "
        "resolved or verified"
    )
    return {
        "one": one,
        "many": many,
        "gaps": gaps,
        "ratios": ratios,
        "checked": checked,
        "cpu": cpu,
        "held": held,
    }
