"""`rollekort bench`: the benchmarks, each printing its numbers (docs/performance.md).

Only typer up front: each benchmark loads what it drives when it runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

BrokerOpt = Annotated[
    str | None,
    typer.Option("--broker", help="mqtt://host:port of a running broker (default: one of its own)"),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy async URL (default: a SQLite file of its own)"),
]


def register(bench_app: typer.Typer) -> None:
    """Add `scale`, `latency`, `failover` and `push` to the `rollekort bench` sub-app."""
    bench_app.command("scale")(scale)
    bench_app.command("latency")(latency)
    bench_app.command("failover")(failover)
    bench_app.command("push")(push)


def scale(
    offices: Annotated[int, typer.Option(min=1, max=1000)] = 500,
    handsets: Annotated[int, typer.Option(min=3, max=100, help="per office")] = 40,
    buttons: Annotated[int, typer.Option(min=3, max=50, help="per office")] = 10,
    broker: Annotated[str, typer.Option(help="a running broker")] = "mqtt://127.0.0.1:1883",
    db: Annotated[list[str] | None, typer.Option(help="sqlite and/or postgres")] = None,
    generators: Annotated[int, typer.Option(min=1, max=8)] = 2,
    soak_s: Annotated[float, typer.Option(min=1)] = 60.0,
    burst_all_clear_s: Annotated[float, typer.Option(min=0, help="all-clear after accept")] = 5.0,
) -> None:
    """500 offices on one machine: start, reconnect storm, memory, burst, soak, single press."""
    from bench.scale import ScaleConfig, run

    dbs = tuple(db or ["sqlite", "postgres"])
    if not set(dbs) <= {"sqlite", "postgres"}:
        raise typer.BadParameter("--db is sqlite or postgres")
    config = ScaleConfig(offices, handsets, buttons, broker, dbs, generators=generators)
    results = run(replace(config, soak_s=soak_s, burst_all_clear_s=burst_all_clear_s))
    if any(r.figures["recorded"]["lost"] for r in results):
        raise typer.Exit(1)


def latency(
    count: Annotated[int, typer.Option("--count", "-n", help="sequential alarms")] = 1000,
    broker: BrokerOpt = None,
    db_url: DbOpt = None,
) -> None:
    """Press → offer on a handset, against the bare broker hop plus the bare websocket hop."""
    from bench.latency import run

    run(count=count, broker=broker, db=db_url)


def failover(
    presses: Annotated[
        int, typer.Option("--presses", "-n", min=2, help="per topology (1 replica, then N)")
    ] = 200,
    kills: Annotated[int, typer.Option(min=2, max=1000, help="leaders SIGKILLed")] = 20,
    replicas: Annotated[int, typer.Option(min=1, max=9)] = 3,
    postgres: Annotated[
        str, typer.Option(help="a PostgreSQL server; the bench makes and drops a database")
    ] = "postgresql+asyncpg://postgres@127.0.0.1:5432",
    keep: Annotated[Path | None, typer.Option(help="copy the logs here")] = None,
    page_backoff: Annotated[
        bool,
        typer.Option(help="reconnect as the handset page does (else every 50 ms: the floor)"),
    ] = True,
) -> None:
    """Replicas behind HAProxy: press → offer with N replicas against 1, and the gap from
    SIGKILL of the leader to the next press offered on a handset."""
    from bench.failover import FailoverConfig, run

    outcome = run(FailoverConfig(presses, kills, replicas, postgres, keep, page_backoff))
    if not outcome["held"]:
        raise typer.Exit(1)


def push(
    count: Annotated[int, typer.Option("--count", "-n", help="sequential alarms")] = 300,
    broker: BrokerOpt = None,
    db_url: DbOpt = None,
) -> None:
    """Press → the offer's Web Push at a local push service, beside press → websocket offer."""
    from bench.push import run

    run(count=count, broker=broker, db=db_url)
