"""The `rollekort` command: serve, validate role cards, migrate, simulate presses, benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.core.office import Gesture
from app.serve_refusals import refuse_a_foreign_chain_key, refuse_a_second_writer
from app.settings import Settings

if TYPE_CHECKING:  # imported where used: the other commands start without them
    from app.config.cache import OfficeCache
    from app.config.parallel import Preload


class TriggerEventName(StrEnum):
    PRESS = "press"
    CANCEL = "cancel"
    TEST = "test"


cli = typer.Typer(
    help="Rollekort: alarm dispatch and role cards for reception panic alarms.",
    no_args_is_help=True,
)
rolecard = typer.Typer(help="Office configuration and role cards.", no_args_is_help=True)
sim = typer.Typer(help="The device simulator.", no_args_is_help=True)
db = typer.Typer(help="The database schema.", no_args_is_help=True)
bench = typer.Typer(help="Benchmarks that print their numbers.", no_args_is_help=True)
mqtt_app = typer.Typer(help="Broker accounts and access rules.", no_args_is_help=True)
timeline = typer.Typer(help="Alarm timelines and their tamper evidence.", no_args_is_help=True)
cli.add_typer(rolecard, name="rolecard")
cli.add_typer(sim, name="sim")
cli.add_typer(db, name="db")
cli.add_typer(bench, name="bench")
cli.add_typer(mqtt_app, name="mqtt")
cli.add_typer(timeline, name="timeline")
from bench.cli import register as _register_bench  # noqa: E402
from simulator.cli import register as _register_sim  # noqa: E402

_register_sim(sim)
_register_bench(bench)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="office file [ROLLEKORT_CONFIG]")]
BrokerOpt = Annotated[
    str | None, typer.Option("--broker", help="'embedded' or mqtt://host:port [ROLLEKORT_BROKER]")
]
DbOpt = Annotated[str | None, typer.Option("--db", help="SQLAlchemy async URL [ROLLEKORT_DB]")]


def _settings(**overrides: Any) -> Settings:
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)


def _check_office_file(path: Path) -> bool:
    from app.config.loader import OfficeFileError, load_office_file

    try:
        loaded = load_office_file(path)
    except OfficeFileError as err:
        for problem in err.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{path}: {len(err.problems)} problem(s); not valid", err=True)
        return False
    for warning in loaded.warnings:
        typer.echo(str(warning), err=True)
    typer.echo(f"{path}: valid ({len(loaded.warnings)} warning(s))")
    return True


@cli.command()
def serve(
    config: ConfigOpt = None,
    broker: BrokerOpt = None,
    db_url: DbOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="[ROLLEKORT_HOST]")] = None,
    port: Annotated[int | None, typer.Option("--port", help="[ROLLEKORT_PORT]")] = None,
) -> None:
    """Run the service: migrate the database, then serve HTTP, websockets and MQTT intake."""
    from app.logs import configure_logging

    settings = _settings(config=config, broker=broker, db=db_url, host=host, port=port)
    redact = configure_logging(settings.log_level, settings.log_json, settings.secrets())
    offices = _start_loading(settings)  # parsed in forked workers while the rest is imported
    import uvicorn

    from app.adapters.db.engine import upgrade
    from app.main import ACCEPT_BACKLOG, WS_PER_MESSAGE_DEFLATE, create_app

    if not _check_offices(offices):
        raise typer.Exit(2)
    refuse_a_second_writer(settings.db)
    upgrade(settings.db)
    refuse_a_foreign_chain_key(settings)
    typer.echo(redact(_banner(settings)))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        log_config=None,  # uvicorn's lines go through our (redacting) handler too
        ws_max_size=settings.ws_max_bytes,  # before hello too: a frame is never read whole
        ws_per_message_deflate=WS_PER_MESSAGE_DEFLATE,
        # no protocol-level keepalive: the handset protocol's own ping (every ping_interval_s)
        # already drops a handset that stops answering; uvicorn's, every 20 s on top of it, was
        # a thousand control frames a second each way with 20,000 handsets
        ws_ping_interval=None,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        backlog=ACCEPT_BACKLOG,
    )


@dataclass(frozen=True)
class _Loading:
    cache: OfficeCache
    paths: list[Path]
    preload: Preload


def _start_loading(settings: Settings) -> _Loading:
    """The office files the last start cached are read back (app.config.cache, so a restart of
    500 offices does not parse them again); the rest start loading on every core
    (app.config.parallel: a first start, an upgrade)."""
    from app.adapters.db.chain_key import ChainKeyError, load_chain_key
    from app.config.cache import OfficeCache
    from app.config.loader import office_files
    from app.config.parallel import Preload

    try:  # the cache is sealed with the chain key (app.config.cache)
        key = load_chain_key(settings.chain_key, settings.chain_key_file, settings.data_folder)
    except ChainKeyError as err:
        typer.echo(f"rollekort serve: refusing to start: {err}", err=True)
        raise typer.Exit(1) from None
    cache = OfficeCache(settings.data_folder, key)
    cache.load()
    paths = office_files(settings.config)
    return _Loading(cache, paths, Preload.start(paths))


def _check_offices(loading: _Loading) -> bool:
    """Every office file loads (the problems of those that do not are printed); what loaded is
    kept for the next start."""
    loading.preload.finish()
    if not all([_check_office_file(path) for path in loading.paths]):
        return False
    loading.cache.save(p.read_text(encoding="utf-8-sig") for p in loading.paths)
    return True


SHUTDOWN_GRACE_S = 5
"""After SIGTERM, how long open connections (thousands of handsets) may take to close before
their tasks are cancelled; without it uvicorn waits for every handset to hang up."""


def _banner(settings: Settings) -> str:
    """What to try first; URLs are shown without their passwords (issue 12, hole 3). The demo
    office's tokens and button only when the demo office is what is served."""
    from app.redact import redact_url
    from app.shipped import demo_office

    base = f"http://{settings.host}:{settings.port}"
    broker, db_url = redact_url(settings.broker_url), redact_url(settings.db)
    lines = [f"Rollekort on {base}  (broker {broker}, db {db_url})"]
    if settings.config.resolve() != demo_office().resolve():
        return "\n".join([*lines, f"  offices:   {settings.config}"])
    lines += [
        f"  handset:   {base}/handset?token=demo-leader   (also demo-deputy, demo-guard)",
        f"  press:     rollekort sim press desk-1 --broker {broker}",
        f"  alarms:    curl -H 'Authorization: Bearer demo-coordinator' {base}/api/v1/alarms",
    ]
    return "\n".join(lines)


@rolecard.command("validate")
def rolecard_validate(file: Path) -> None:
    """Check an office file; print each problem with its place in the file."""
    if not _check_office_file(file):
        raise typer.Exit(1)


@db.command("upgrade")
def db_upgrade(db_url: DbOpt = None) -> None:
    """Apply the Alembic migrations up to the newest."""
    from app.adapters.db.engine import upgrade

    settings = _settings(db=db_url)
    upgrade(settings.db)
    typer.echo(f"database at head: {settings.db}")


@db.command("purge")
def db_purge(db_url: DbOpt = None) -> None:
    """Blank free text older than each office's retention period (365 days unless set)."""
    import asyncio

    from app.adapters.db.learning.store import purge_database

    settings = _settings(db=db_url)
    for office_id, n in asyncio.run(purge_database(settings.db)).items():
        typer.echo(
            f"{office_id}: {n.debriefs} debriefs, {n.incidents} incidents, "
            f"{n.outreach} outreach sessions, {n.drills} drills purged"
        )


@timeline.command("verify")
def timeline_verify(
    db_url: DbOpt = None,
    alarm: Annotated[str | None, typer.Option("--alarm", help="one alarm id; default: all")] = None,
) -> None:
    """Check every alarm's timeline against its keyed hash chain and seal; exit 1 if any is
    broken or unsealed."""
    import asyncio

    from app.adapters.db.timeline_verify import verify_timelines

    settings = _settings(db=db_url)
    report = asyncio.run(verify_timelines(settings, alarm))
    for line in report.lines:
        typer.echo(line)
    typer.echo(report.summary)
    if not report.all_ok:
        raise typer.Exit(1)


@sim.command("press")
def sim_press(
    device_id: str,
    broker: BrokerOpt = None,
    gesture: Annotated[Gesture, typer.Option(help="how the button was pressed")] = Gesture.SINGLE,
    event: Annotated[TriggerEventName, typer.Option(help="what the press means")] = (
        TriggerEventName.PRESS
    ),
    seq: Annotated[int | None, typer.Option(help="default: milliseconds now")] = None,
) -> None:
    """Publish a native trigger event, as a button would, and wait for the broker's PUBACK."""
    from app.redact import redact_url
    from simulator.button import press

    url = _settings(broker=broker).broker_url
    sent = press(url, device_id, event=event.value, gesture=gesture.value, seq=seq)
    typer.echo(f"{event.value} from {device_id} (seq {sent.seq}) published to {redact_url(url)}")


@mqtt_app.command("acl")
def mqtt_acl(
    config: Annotated[Path, typer.Option("--config", help="office file or folder of them")],
    out: Annotated[Path, typer.Option("--out", help="folder for `passwords` and `acl`")],
) -> None:
    """Write Mosquitto's password file and ACL from the offices' `mqtt:` sections."""
    import yaml

    from app.config.loader import office_files
    from app.config.mqtt_access import access_of, acl_file, password_file
    from app.config.schema import OfficeFile

    paths = office_files(config)
    if not all([_check_office_file(path) for path in paths]):
        raise typer.Exit(2)
    files = [OfficeFile.model_validate(yaml.safe_load(p.read_text("utf-8-sig"))) for p in paths]
    try:
        users = access_of(files)
    except ValueError as exc:
        typer.echo(f"{config}: {exc}", err=True)
        raise typer.Exit(2) from None
    if not users:
        typer.echo(f"{config}: no office has an `mqtt:` section; nothing written", err=True)
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "passwords").write_text(password_file(users), encoding="utf-8")
    (out / "acl").write_text(acl_file(users), encoding="utf-8")
    typer.echo(f"{len(users)} accounts written to {out / 'passwords'} and {out / 'acl'}")


@cli.command()
def prove(
    faults: Annotated[
        str, typer.Option(help="comma-separated faults, or 'all'", show_default=True)
    ] = "all",
    minutes: Annotated[
        float, typer.Option(help="0: each fault once; more: random faults for this long")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="the random schedule's seed")] = 1,
    offices: Annotated[int, typer.Option(help="generated offices")] = 4,
    handsets: Annotated[int, typer.Option(help="handsets per office (one reads nothing)")] = 5,
    postgres: Annotated[bool, typer.Option(help="a PostgreSQL cluster of its own")] = False,
    broker_defaults: Annotated[
        bool, typer.Option(help="Mosquitto's defaults instead of deploy/mosquitto")
    ] = False,
    burst: Annotated[int, typer.Option(help="presses in the burst fault")] = 200,
    keep: Annotated[Path | None, typer.Option(help="keep logs and data in this folder")] = None,
    replicas: Annotated[
        int, typer.Option(min=0, max=9, help="N replicas behind HAProxy on PostgreSQL (0: one)")
    ] = 0,
) -> None:
    """Load plus faults on loopback (own Mosquitto, own database, the service as a process),
    then check: every press on one timeline once, every connected target got its offer, every
    chain verifies, no frame crossed an office, every alarm could be closed."""
    from rich.console import Console

    from simulator.prove.faults import FAULTS
    from simulator.prove.replica_faults import default_faults
    from simulator.prove.replica_world import ReplicaOptions
    from simulator.prove.run import Plan, report
    from simulator.prove.run import prove as run_prove
    from simulator.prove.world import Options

    every = default_faults(list(FAULTS), replicas)
    chosen = every if faults == "all" else [f.strip() for f in faults.split(",") if f]
    options = Options(offices, handsets, postgres, not broker_defaults, burst)
    if replicas:
        options = ReplicaOptions(offices, handsets, True, not broker_defaults, burst, replicas)
    console = Console()
    try:
        outcome = run_prove(Plan(chosen, minutes, seed), options, console, keep)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    report(outcome, console)
    if not outcome.held:
        raise typer.Exit(1)


def main() -> None:
    cli()
