"""`rollekort sim scenario`: exit 0 only when every expectation held, so CI can gate on it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer  # only typer up front: the engine and rich load when the command runs

if TYPE_CHECKING:
    from rich.console import Console

    from simulator.scenario import ScenarioRun


def register(sim_app: typer.Typer) -> None:
    """Add `scenario` to the `rollekort sim` sub-app."""
    sim_app.command("scenario")(scenario)


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
