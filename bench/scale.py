"""`rollekort bench scale`: a whole country on one machine. Starts the service as its own process
against a real broker and database with N offices, M handsets and B buttons each, drives it from
load-generator processes of its own, and prints the six targets of issue 13 with the CPU each
process used. The same storm is run against the bare websocket floor (`bench.ws_floor`, the same
uvicorn + FastAPI stack: hello → one frame) in the same run."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import resource
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.scale_drive import Presser, burst, count_recorded, pct, single_presses, soak
from bench.scale_offices import ScaleOffice, write_offices
from bench.scale_procs import Generators, Served, end_session, start_floor, start_service
from bench.scale_report import tried_again

console = Console(highlight=False)
FD_RESERVE = 300
"""Files a process keeps for itself (database, broker, logs, listening socket) below the limit."""


@dataclass(frozen=True)
class ScaleConfig:
    offices: int = 500
    handsets: int = 40
    buttons: int = 10
    broker: str = "mqtt://127.0.0.1:1883"
    dbs: tuple[str, ...] = ("sqlite",)
    postgres: str = "postgresql+asyncpg://postgres@127.0.0.1:5432"
    generators: int = 2
    soak_s: float = 60.0
    status_every_s: float = 60.0
    burst_all_clear_s: float = 5.0
    """In the burst, a leader's all-clear this long after its accept (0: at once)."""


@dataclass
class DbResult:
    db: str
    figures: dict[str, Any] = field(default_factory=dict)


def run(config: ScaleConfig) -> list[DbResult]:
    return asyncio.run(_run(config))


def storm_limit(total: int) -> int:
    """How many sockets one process may hold here: the open-file limit, less its own files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return min(total, max(1, soft - FD_RESERVE))


async def _run(config: ScaleConfig) -> list[DbResult]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.monotonic()
        tag = uuid.uuid4().hex[:6]  # this run's ids: another run on the broker is not heard
        offices = write_offices(
            tmp / "offices", config.offices, config.handsets, config.buttons, tag
        )
        console.print(
            f"{config.offices} offices × {config.handsets} handsets, {config.buttons} buttons "
            f"each, written in {time.monotonic() - started:.1f} s; broker {config.broker}"
        )
        handsets = [(o.office_id, t, i == 0) for o in offices for i, t in enumerate(o.tokens)]
        limit = storm_limit(len(handsets))
        if limit < len(handsets):
            console.print(
                f"open-file limit: each storm counts {limit} of {len(handsets)} handsets "
                f"(the service and the floor alike)"
            )
        handsets = handsets[:limit]
        floor = await _floor_storm(tmp, handsets, config.generators)
        results = []
        for db in config.dbs:
            url = await _database(db, tmp, config.postgres)
            try:
                result = await _one_db(tmp, db, url, offices, handsets, config, floor)
            finally:
                await _drop_database(db, url, config.postgres)
            results.append(result)
            _report(result, floor)
        return results


async def _database(db: str, tmp: Path, postgres: str) -> str:
    if db == "sqlite":
        return f"sqlite+aiosqlite:///{tmp}/scale.db"
    name = f"rollekort_scale_{uuid.uuid4().hex[:10]}"
    await _on_server(postgres, f'CREATE DATABASE "{name}"')
    return f"{postgres}/{name}"


async def _drop_database(db: str, url: str, postgres: str) -> None:
    """The run's PostgreSQL database goes with the run, as the SQLite file does."""
    if db == "sqlite":
        return
    name = url.rsplit("/", 1)[1]
    await _on_server(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _on_server(postgres: str, statement: str) -> None:
    """One statement on the PostgreSQL server, outside any run's database."""
    import asyncpg

    conn = await asyncpg.connect(postgres.replace("+asyncpg", ""))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _storm(
    url: str, handsets: list[tuple[str, str, bool]], n: int
) -> tuple[Generators, dict[str, Any]]:
    gens = await Generators.start(url, handsets, n)
    go = time.monotonic()
    answers = await gens.ask("storm")
    welcomed = sorted(t for a in answers for t in a["welcomed"])
    figures = {
        "welcomed": len(welcomed),
        "failed": sum(int(a["failed"]) for a in answers),
        "retried": sum(int(a.get("retried", 0)) for a in answers),
        "retries": _merged([a.get("retries", {}) for a in answers]),
        "errors": [e for a in answers for e in a["errors"]][:3],
        "all_s": (welcomed[-1] - go) if welcomed else float("nan"),
        "p50_s": pct([t - go for t in welcomed], 50),
        "gen_cpu_s": sum(float(a["cpu_s"]) for a in answers),
        "tokens": {t for a in answers for t in a["tokens"]},
    }
    return gens, figures


def _merged(counts: list[dict[str, int]]) -> dict[str, int]:
    """The generators' retries by kind, summed, the most frequent first."""
    total: dict[str, int] = {}
    for count in counts:
        for kind, n in count.items():
            total[kind] = total.get(kind, 0) + int(n)
    return dict(sorted(total.items(), key=lambda kv: -kv[1]))


async def _floor_storm(tmp: Path, handsets: list[tuple[str, str, bool]], n: int) -> dict[str, Any]:
    served = start_floor(tmp / "floor.log")
    try:
        await asyncio.sleep(2.0)
        cpu0, rss0 = served.cpu_s(), served.rss()
        start = {"start_s": served.ready_s, "start_cpu_s": served.ready_cpu_s}
        gens, figures = await _storm(served.base.replace("http", "ws") + "/ws", handsets, n)
        figures["server_cpu_s"] = served.cpu_s() - cpu0
        await asyncio.sleep(2.0)  # as the service's is measured
        figures["kb_per_handset"] = (served.rss() - rss0) / max(1, figures["welcomed"]) / 1024
        figures |= start
        await gens.quit()
    finally:
        served.stop()
    console.print(
        f"floor: started in {figures['start_s']:.1f} s ({figures['start_cpu_s']:.1f} s CPU); "
        f"storm: {figures['welcomed']} welcomed, {figures['failed']} failed "
        f"({tried_again(figures)}), all in "
        f"{figures['all_s']:.1f} s (server CPU {figures['server_cpu_s']:.1f} s, generators "
        f"{figures['gen_cpu_s']:.1f} s); RSS {figures['kb_per_handset']:.1f} kB per handset"
    )
    return figures


async def _one_db(
    tmp: Path,
    db: str,
    url: str,
    offices: list[ScaleOffice],
    handsets: list[tuple[str, str, bool]],
    config: ScaleConfig,
    floor: dict[str, Any],
) -> DbResult:
    result = DbResult(db)
    f = result.figures
    log = tmp / f"service-{db}.log"
    data = tmp / f"data-{db}"
    start = functools.partial(start_service, tmp / "offices", config.broker, url, log, data)
    service = await asyncio.to_thread(start)  # a first start: fresh database, nothing cached
    f["first_s"], f["first_cpu_s"] = service.ready_s, service.ready_cpu_s
    await asyncio.to_thread(_stop_for_good, service, config.broker)
    service = await asyncio.to_thread(start)  # a restart: what a gap in protection costs
    presser = Presser(config.broker)
    try:
        f["start_s"], f["start_cpu_s"] = service.ready_s, service.ready_cpu_s
        await asyncio.sleep(2.0)
        f["idle_rss"] = service.rss()
        cpu0 = service.cpu_s()
        ws = service.base.replace("http", "ws") + "/ws/handset"
        gens, f["storm"] = await _storm(ws, handsets, config.generators)
        f["storm"]["server_cpu_s"] = service.cpu_s() - cpu0
        await asyncio.sleep(2.0)
        f["storm_rss"] = service.rss()
        welcomed = f["storm"].pop("tokens")
        whole = [o for o in offices if all(t in welcomed for t in o.tokens)]
        f["single"] = await single_presses(presser, gens, whole[:20])
        per_press = f["single"]["offers_per_press"]
        f["burst"] = await burst(presser, gens, service, whole, per_press, config.burst_all_clear_s)
        f["soak"] = await soak(presser, gens, whole, offices, service, config)
        f["recorded"] = await count_recorded(service.base, offices, presser.pressed)
        f["gen_cpu_s"] = await gens.quit()
        f["offices_whole"] = len(whole)
        f["log_errors"] = _errors(log)
        f["sigterm"] = await _sigterm_in_storm(service, ws, handsets, config.generators)
        kept = Path(tempfile.gettempdir()) / f"rollekort-bench-scale-{db}-{os.getpid()}.log"
        shutil.copyfile(log, kept)
        f["log"] = str(kept)
        f["service_cpu_s"] = service.cpu_s() if service.proc.poll() is None else None
    finally:
        presser.close()
        _stop_for_good(service, config.broker)
    return result


def _stop_for_good(service: Served, broker: str) -> None:
    """Stop the service and end its session on the broker (a new one each start)."""
    service.stop()
    if service.mqtt_client_id and not end_session(broker, service.mqtt_client_id):
        console.print(f"the session {service.mqtt_client_id} on {broker} was not ended")


async def _sigterm_in_storm(
    service: Served, ws: str, handsets: list[tuple[str, str, bool]], n: int
) -> float:
    gens = await Generators.start(ws, handsets, n)
    storming = asyncio.create_task(gens.ask("storm"))
    await asyncio.sleep(2.0)
    took = await asyncio.to_thread(service.stop, 30.0)
    storming.cancel()  # its handsets would try again for as long as a page does
    with contextlib.suppress(asyncio.CancelledError):
        await storming
    await gens.kill()
    return took


_ERROR = re.compile(rb"\[(error|critical)|Traceback|Exception in ASGI", re.IGNORECASE)


def _errors(log: Path) -> list[str]:
    lines = [line for line in log.read_bytes().splitlines() if _ERROR.search(line)]
    return [line.decode(errors="replace")[:200] for line in lines]


def _report(result: DbResult, floor: dict[str, Any]) -> None:
    from bench.scale_report import report

    report(console, result.db, result.figures, floor)
