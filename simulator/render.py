"""Shows a scenario on a terminal: a live line while it runs, then its tables and verdicts."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import structlog
from rich.console import Console
from rich.live import Live
from rich.table import Table

from app.core.alarm import AlarmState, SlotStatus
from simulator.report import AlarmReport, Mark, RoleReport
from simulator.scenario import Progress, ScenarioRun


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """The dispatcher's info logs would drown the report; warnings still show."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(**saved)


@contextlib.contextmanager
def live_progress(console: Console, name: str) -> Iterator[Progress | None]:
    if not console.is_terminal:
        yield None
        return
    with Live(name, console=console, transient=True, refresh_per_second=20) as live:

        def show(at_s: float, alarms: Sequence[AlarmState]) -> None:
            live.update(f"{name}  t={at_s:g} s  {progress_line(alarms)}")

        yield show


def progress_line(alarms: Sequence[AlarmState]) -> str:
    """One line: each open alarm's roles, held (✓ name), offered (? names) or unfilled (!)."""
    parts: list[str] = []
    for state in alarms:
        for slot in state.slots:
            if slot.status is SlotStatus.ACCEPTED:
                parts.append(f"{slot.role_id} ✓{slot.holder_id}")
            elif slot.status is SlotStatus.OFFERED:
                parts.append(f"{slot.role_id} ?{','.join(sorted(slot.offered))}")
            elif slot.status is SlotStatus.UNFILLED:
                parts.append(f"{slot.role_id} !unfilled")
    return "  ".join(parts) or "no open alarm"


# --- the report --------------------------------------------------------------------------------


def _marks(marks: Sequence[Mark], with_detail: bool = False) -> str:
    out = []
    for m in marks:
        who = ", ".join(m.people) if m.people else "-"
        detail = f" ({m.detail})" if with_detail and m.detail else ""
        out.append(f"{who} {m.at_s:g}s{detail}")
    return "\n".join(out)


def police_line(alarm: AlarmReport) -> str:
    """Rollekort alerts outside contacts by notification; it never calls the police."""
    if alarm.police is None:
        return "police NOT called by Rollekort: call 112 (nobody ticked police contacted)"
    return f"police contacted, ticked by {alarm.police.people[0]} at {alarm.police.at_s:g} s"


def role_table(alarm: AlarmReport) -> Table:
    table = Table(show_lines=True, expand=False)
    table.add_column("role", no_wrap=True)
    for column in ("offered (s after press)", "accepted", "declined / timed out", "escalation"):
        table.add_column(column)
    for r in alarm.roles:
        answers = [f"declined: {_marks([m])}" for m in r.declined]
        answers += [f"timed out: {_marks([m])}" for m in r.timeouts]
        table.add_row(
            _role_name(r),
            _marks(r.offers, with_detail=True) or _told(r),
            _marks(r.accepted, with_detail=True) or "—",
            "\n".join(answers),
            _escalation(r),
        )
    return table


def _told(r: RoleReport) -> str:
    return ("told: " + _marks(r.assembled)) if r.assembled else "—"


def _role_name(r: RoleReport) -> str:
    flags = [r.mode, *(["required"] if r.required else []), *(["leader"] if r.leader else [])]
    return f"{r.role_id}\n[dim]{', '.join(flags)}[/dim]"


def _escalation(r: RoleReport) -> str:
    lines = [f"unfilled {m.at_s:g}s" for m in r.unfilled]
    lines += [f"leader told: {_marks([m])}" for m in r.leader_alerts]
    lines += [f"external: {_marks([m])}" for m in r.external]
    lines += [f"police reminder: {_marks([m])}" for m in r.reminders]
    return "\n".join(lines)


def render(result: ScenarioRun, console: Console) -> None:
    s = result.loaded.scenario
    office = result.loaded.office
    console.rule(f"[bold]{result.loaded.name}[/bold]  ({result.loaded.path})")
    if s.description:
        console.print(s.description.strip())
    console.print(
        f"office {office.name} ({office.id}) · start {s.start:%a %Y-%m-%d %H:%M %z}"
        f" · ran {s.run_for_s:g} s"
    )
    for n, alarm in enumerate(result.alarms, start=1):
        closed = f" at {alarm.closed_at_s:g} s by {alarm.closed_by}" if alarm.closed_by else ""
        console.print(
            f"\n[bold]Alarm {n}[/bold]: {alarm.device_id} at {alarm.location_id}, {alarm.level}, "
            f"card {alarm.rolecard_version}"
            + (f", variant {alarm.variant_id}" if alarm.variant_id else "")
            + f", presser {alarm.presser_id or 'unknown'}"
            + f": {alarm.status}{closed}"
        )
        console.print(role_table(alarm))
        done = [
            f"{m.people[0]} ticked {r.role_id} step {m.detail} at {m.at_s:g} s"
            for r in alarm.roles
            for m in r.steps
        ]
        done += [f"{m.people[0]} asked for help at {m.at_s:g} s" for m in alarm.help]
        done += [f"pressed again at {m.at_s:g} s ({m.detail})" for m in alarm.presses]
        done += [f"{m.people[0]}: lockdown {m.detail} at {m.at_s:g} s" for m in alarm.lockdown]
        done += [f"shown to {', '.join(alarm.shared)}"] if alarm.shared else []
        done += [f"{m.people[0]} arrived at {m.at_s:g} s ({m.detail})" for m in alarm.arrived]
        done += [police_line(alarm)]
        for line in done:
            console.print(f"  {line}")
    if not result.alarms:
        console.print("no alarm was raised")
    for fault in result.faults:
        console.print(f"  [magenta]fault: {fault.person} pressed at {fault.at_s:g} s: {fault.text}")
    for note in result.notes:
        console.print(f"  [yellow]{note.at_s:g} s {note.person}: {note.text}[/yellow]")
    console.print(expectations(result))


def expectations(result: ScenarioRun) -> Table:
    met = sum(o.met for o in result.outcomes)
    verdict = "[green]PASS[/green]" if result.ok else "[red]FAIL[/red]"
    title = f"Expectations: {met}/{len(result.outcomes)} met  {verdict}"
    table = Table(title=title, title_justify="left")
    for column in ("", "expected", "actual"):
        table.add_column(column)
    for o in result.outcomes:
        table.add_row("[green]✓[/green]" if o.met else "[red]✗[/red]", o.expected, o.actual)
    return table


def summary(rows: list[tuple[Path, ScenarioRun | None]]) -> Table:
    table = Table(title="Scenarios", title_justify="left")
    for column in ("scenario", "expectations", "result"):
        table.add_column(column)
    for path, result in rows:
        if result is None:
            table.add_row(str(path), "-", "[red]INVALID[/red]")
            continue
        met = sum(o.met for o in result.outcomes)
        verdict = "[green]PASS[/green]" if result.ok else "[red]FAIL[/red]"
        table.add_row(result.loaded.name, f"{met}/{len(result.outcomes)}", verdict)
    return table
