"""`rollekort sim scenario`: exit 0 only when every expectation held, so CI can gate on it.
`rollekort sim family`: one press of another maker's button, as it really publishes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer  # only typer up front: the engine and rich load when the command runs

if TYPE_CHECKING:
    from rich.console import Console

    from simulator.scenario import ScenarioRun


def register(sim_app: typer.Typer) -> None:
    """Add `scenario`, `load`, `preset` and `family` to the `rollekort sim` sub-app."""
    sim_app.command("scenario")(scenario)
    sim_app.command("load")(load)
    sim_app.command("preset")(preset)
    sim_app.command("family")(family)


def preset(
    name: Annotated[str, typer.Argument(help="a preset: the name of examples/presets/NAME.yaml")],
) -> None:
    """Run a digest preset's scenario (req. 44); exit 1 if it fails or its office is invalid."""
    from rich.console import Console

    from app.shipped import presets

    path = presets() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in presets().glob("*.yaml")))
        typer.echo(f"no preset {name!r}; presets: {known}", err=True)
        raise typer.Exit(2)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    result = run_file(path, console)
    raise typer.Exit(0 if result is not None and result.ok else 1)


def scenario(
    files: Annotated[list[Path] | None, typer.Argument(help="scenario files (YAML)")] = None,
    folder: Annotated[
        Path | None, typer.Option("--all", help="run every *.yaml in this folder")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="only the verdicts")] = False,
) -> None:
    """Run scenarios against the real dispatcher on a simulated clock; exit 1 if any fails."""
    from rich.console import Console

    from simulator.render import summary

    paths = list(files or [])
    if folder is not None:
        paths += sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not paths:
        typer.echo("give scenario files, or --all FOLDER", err=True)
        raise typer.Exit(2)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    results = [run_file(path, console, quiet) for path in paths]
    if len(results) > 1 or quiet:
        console.print(summary(list(zip(paths, results, strict=True))))
    raise typer.Exit(0 if all(r is not None and r.ok for r in results) else 1)


def run_file(path: Path, console: Console, quiet: bool = False) -> ScenarioRun | None:
    """Run one file and print its report; None (and the problems) when the file is invalid."""
    import asyncio

    from rich.text import Text

    from simulator.render import live_progress, quiet_logs, render
    from simulator.scenario import run_loaded
    from simulator.scenario_load import ScenarioError, load_scenario

    try:
        loaded = load_scenario(path)
    except ScenarioError as err:
        for problem in err.problems:
            console.print(Text(str(problem), style="red"))
        console.print(f"{path}: {len(err.problems)} problem(s); not run")
        return None
    with quiet_logs(), live_progress(console, loaded.name) as progress:
        result = asyncio.run(run_loaded(loaded, progress))
    if not quiet:
        render(result, console)
    return result


def load(
    offices: Annotated[int, typer.Option(min=1, max=500, help="offices to generate")] = 20,
    handsets_per_office: Annotated[int, typer.Option(min=3, max=50)] = 3,
    presses: Annotated[int, typer.Option(min=1, max=100_000, help="total presses")] = 200,
    concurrency: Annotated[int, typer.Option(min=1, max=500, help="presses in flight")] = 10,
    max_seconds: Annotated[float, typer.Option(min=1, max=3600, help="time bound")] = 300,
    url: Annotated[str | None, typer.Option(help="a running service (loopback)")] = None,
    broker: Annotated[str | None, typer.Option(help="mqtt://127.0.0.1:PORT (loopback)")] = None,
    write_offices: Annotated[
        Path | None, typer.Option(help="write the generated office folder here and stop")
    ] = None,
) -> None:
    """Load the real service with many offices pressing at once; exit 1 if any alarm is lost."""
    import asyncio

    from rich.console import Console

    from simulator import load as sim_load

    if write_offices is not None:
        sim_load.generate(write_offices, offices, handsets_per_office)
        typer.echo(f"{offices} offices written to {write_offices}: serve them with --config")
        raise typer.Exit(0)
    try:
        for given in (url, broker):
            if given is not None:
                sim_load.check_loopback(given)
    except ValueError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)

    async def go() -> sim_load.LoadResult:
        async with sim_load.target(offices, handsets_per_office, url, broker) as target:
            generated, http, mqtt_url = target
            console.print(f"{offices} offices on {http}, broker {mqtt_url}")
            return await sim_load.run_load(
                generated, http, mqtt_url, presses, concurrency, max_seconds, console
            )

    result = asyncio.run(go())
    console.print(sim_load.summary(result, presses))
    for error in result.errors[:20]:
        console.print(f"[yellow]{error}[/yellow]")
    raise typer.Exit(1 if result.lost else 0)


def family(
    family: Annotated[str, typer.Argument(help="zigbee2mqtt, tasmota, shelly or esphome")],
    address: Annotated[str, typer.Argument(help="the device's `address:` in the office file")],
    broker: Annotated[
        str | None, typer.Option("--broker", help="mqtt://[user:pass@]host:port [ROLLEKORT_BROKER]")
    ] = None,
) -> None:
    """One press of another maker's button, as its family really publishes (docs/devices.md)."""
    from app.settings import Settings
    from simulator.families import PRESSERS

    if family not in PRESSERS:
        typer.echo(f"unknown family {family!r}: one of {', '.join(PRESSERS)}", err=True)
        raise typer.Exit(2)
    url = (Settings(broker=broker) if broker else Settings()).broker_url
    for topic in PRESSERS[family](url, address):
        typer.echo(f"published {topic}")
