"""`rollekort prove`: load plus faults against a real service on loopback, then the invariants.

A run presses every office's desk button in a loop (each alarm is led and closed by the office's
leader handset), applies the chosen faults one at a time (each bounded, the world healthy again
after it), waits for the alarms to settle, reads every timeline back through the API and checks
I1–I5 (`simulator.prove.checks`). Everything stays on 127.0.0.1 and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulator.prove.checks import Verdict, all_verdicts
from simulator.prove.faults import FAULTS, Window
from simulator.prove.replica_world import world_for
from simulator.prove.world import Options, World


@dataclass
class Plan:
    """Which faults, in which order: the given list once (a short run), or random picks from
    it until `minutes` have passed (a soak)."""

    faults: list[str]
    minutes: float = 0.0
    seed: int = 1

    def schedule(self, rng: random.Random) -> list[str] | None:
        return None if self.minutes else list(self.faults)


@dataclass
class Outcome:
    windows: list[Window] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    presses: int = 0
    acknowledged: int = 0
    alarms: int = 0
    frames: int = 0
    service_starts: int = 0

    @property
    def held(self) -> bool:
        return all(v.held for v in self.verdicts)


def prove(plan: Plan, options: Options, console: Console, keep: Path | None = None) -> Outcome:
    unknown = [f for f in plan.faults if f not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return asyncio.run(_prove(plan, options, console, keep))
    with tempfile.TemporaryDirectory(prefix="rollekort-prove-") as tmp:
        return asyncio.run(_prove(plan, options, console, Path(tmp)))


async def _prove(plan: Plan, options: Options, console: Console, folder: Path) -> Outcome:
    outcome = Outcome()
    rng = random.Random(plan.seed)
    async with world_for(folder, options) as w:  # one process, or replicas
        w.start_people()
        if not await w.all_welcomed():
            console.print("[yellow]not every handset was welcomed within 60 s[/yellow]")
        pressing = [
            asyncio.create_task(w.keep_pressing(o, lambda: rng.uniform(0.2, 1.0)))
            for o in w.offices
        ]
        await asyncio.sleep(options.pause_s)
        await _apply(plan, w, rng, outcome, console)
        await w.quiet()
        await asyncio.gather(*pressing, return_exceptions=True)
        end = time.time()
        alarms = await asyncio.to_thread(w.read_alarms)
        near = _namer(outcome.windows)
        outcome.verdicts = all_verdicts(w.buttons.presses, alarms, w.handsets, end, near)
        outcome.presses = len(w.buttons.presses)
        outcome.acknowledged = sum(p.acked_at is not None for p in w.buttons.presses)
        outcome.alarms = len(alarms)
        outcome.frames = sum(len(h.received) for h in w.handsets)
        outcome.service_starts = w.service.starts
    return outcome


async def _apply(plan: Plan, w: World, rng: random.Random, out: Outcome, console: Console) -> None:
    fixed = plan.schedule(rng)
    deadline = time.monotonic() + plan.minutes * 60
    while True:
        if fixed is not None:
            if not fixed:
                return
            name = fixed.pop(0)
        elif time.monotonic() < deadline:
            name = rng.choice(plan.faults)
        else:
            return
        start = time.time()
        detail = await FAULTS[name](w, rng)
        out.windows.append(Window(name, start, time.time(), detail))
        console.print(f"  {name}: {detail} ({time.time() - start:.1f} s)")
        await asyncio.sleep(w.options.pause_s)


def _namer(windows: list[Window]) -> Callable[[float], str]:
    """Names the fault a moment fell in, or the last one that ended less than 5 s before it."""

    def near(t: float) -> str:
        for window in reversed(windows):
            if window.start <= t <= window.end + 5.0:
                return f"during {window.name}" if t <= window.end else f"after {window.name}"
        return "no fault near"

    return near


def report(outcome: Outcome, console: Console) -> None:
    table = Table(title="Invariants", title_justify="left")
    for column in ("invariant", "checked", "violations", "note"):
        table.add_column(column)
    for v in outcome.verdicts:
        mark = "[green]0[/green]" if v.held else f"[red]{len(v.violations)}[/red]"
        table.add_row(v.name, str(v.checked), mark, v.note)
    console.print(table)
    for v in outcome.verdicts:
        for line in v.violations[:5]:
            console.print(f"  [red]{v.name[:2]}[/red] {line}")
    console.print(
        f"faults applied {len(outcome.windows)}, presses published {outcome.presses} "
        f"(acknowledged {outcome.acknowledged}), alarms {outcome.alarms}, alarm frames "
        f"{outcome.frames}, service starts {outcome.service_starts}"
    )
    console.print("[green]all invariants held[/green]" if outcome.held else "[red]VIOLATED[/red]")
