"""Raises decided ahead: for every trigger of every office and each alarm level its gestures
raise, the decision a press would get now, kept ready so a press only has to move it onto
itself (`app.core.rebase`).

A prepared decision is used only when everything it was decided from is still the same: the
offices and their cards (the directory's generation), who is present (the presence generations
of the office and of offices whose staff it may offer roles), who acknowledged the card, who is
busy in another alarm, and the minute (time windows, guard schedules and acting leaders change
at minute boundaries at the finest; zone offsets are whole minutes, so a UTC minute is one
local minute). That is the `Basis`, read again at each press. When something changes, a pass in
the background decides again what is stale, one decision per loop turn so a press never waits
behind a whole pass; a timer starts a pass at each minute boundary. A few bases are kept per
trigger, so an alarm's accept and all-clear (which change who is busy, and back) do not throw
the others away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from app.core import commands as cmd
from app.core.draft import Decision
from app.core.office import AlarmMode, Gesture, Level, Office
from app.core.rebase import PreparedDecision, template_press
from app.service.clock import Cancellable, Clock
from app.service.metrics import Metrics

log = structlog.get_logger(__name__)

BASES_KEPT = 4
"""Prepared decisions kept per trigger and level, one per basis (the newest ones)."""
OFFICES_PER_TURN = 10
"""Offices whose prepared raises a pass looks over before it lets the loop turn."""


@dataclass(frozen=True)
class Basis:
    """What a raise is decided from, beside the office object itself."""

    offices: int
    presence: tuple[frozenset[str], ...]  # who is present there and where its roles may go
    acknowledged: frozenset[str] | None
    busy: frozenset[str]
    minute: int


@dataclass(frozen=True)
class PreparedRaise:
    office: Office  # the directory's office the press comes with
    resolved: Office  # with the card resolved for the situation (the alarm keeps it)
    decision: PreparedDecision  # for the template press (`app.core.rebase.template_press`)
    basis: Basis


def minute_of(now: datetime) -> int:
    return int(now.timestamp()) // 60


DecideRaise = Callable[[Office, cmd.RaiseAlarm, datetime, frozenset[str]], tuple[Office, Decision]]
"""A new alarm's card and decision for a press, at a time, with the people busy elsewhere."""
BasisOf = Callable[[str, datetime], Basis]


class PreparedRaises:
    def __init__(
        self,
        *,
        decide: DecideRaise,
        basis: BasisOf,
        offices: Callable[[], Iterable[Office]],
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self._decide = decide
        self._basis = basis
        self._metrics = metrics
        self._offices = offices
        self._clock = clock
        self._ready: dict[tuple[str, str, Level], dict[Basis, PreparedRaise]] = {}
        self._failed: dict[tuple[tuple[str, str, Level], Basis], Office] = {}
        self._pass: asyncio.Task[None] | None = None
        self._again = False
        self._timer: Cancellable | None = None
        self._on = True

    def take(
        self, office: Office, device_id: str, gesture: Gesture, mode: AlarmMode, now: datetime
    ) -> PreparedRaise | None:
        """The prepared raise for this press, if there is one decided on today's basis."""
        if not self._on or mode is not AlarmMode.REAL:
            return None
        trigger = office.triggers.get(device_id)
        kept = trigger and self._ready.get((office.id, device_id, trigger.level_for(gesture)))
        if not kept:
            return None
        found = kept.get(self._basis(office.id, now))
        return found if found is not None and found.office is office else None

    def decided_fresh(self) -> None:
        """A new alarm was decided on its press's path (nothing prepared, or not usable)."""
        self._metrics.prepared_raises.labels("fresh").inc()

    def check(
        self,
        prepared: PreparedRaise,
        press: cmd.RaiseAlarm,
        now: datetime,
        used: tuple[Office, Decision],
        basis: Basis,
    ) -> None:
        """Once the alarm is durable (so the check never competes with its offers), with the
        basis as it is now: a raise decided ahead must equal a fresh decision from the same
        inputs. If it ever does not, the alarm goes on as pushed (that is what the handsets were
        told) and every later press is decided on its own path. A raise whose inputs changed
        since its press cannot be checked."""
        if basis != prepared.basis:
            self._metrics.prepared_raises.labels("unchecked").inc()
            log.info("prepared raise not checked, inputs changed", alarm_id=press.alarm_id)
            return
        try:
            resolved, fresh = self._decide(prepared.office, press, now, basis.busy)
        except Exception as err:  # the alarm is durable and out: never fail its press now
            self._differed(press.alarm_id, f"the fresh decision failed: {err!r}")
            return
        card, decision = used
        differing = [
            part
            for part, same in (
                ("card", resolved == card),
                ("events", fresh.events == decision.events),
                ("effects", fresh.effects == decision.effects),
                ("state", fresh.state == decision.state),
            )
            if not same
        ]
        if differing:
            self._differed(press.alarm_id, " and ".join(differing))
        else:
            self._metrics.prepared_raises.labels("used").inc()

    def _differed(self, alarm_id: str, why: str) -> None:
        self._metrics.prepared_raises.labels("differed").inc()
        log.error(
            "a prepared raise differed from a fresh decision; deciding every press afresh",
            alarm_id=alarm_id,
            why=why,
        )
        self.turn_off()

    def stale(self) -> None:
        """Something a raise depends on may have changed: decide again what is stale, soon."""
        if not self._on:
            return
        if self._pass is not None:
            self._again = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop yet (start-up): the first pass comes with it
            return
        self._pass = loop.create_task(self._refresh(), name="prepare raises")

    def turn_off(self) -> None:
        """Stop preparing and using prepared raises (a rebased decision differed)."""
        self._ready.clear()
        self.close()

    def close(self) -> None:
        self._on = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pass is not None:
            self._pass.cancel()

    async def aclose(self) -> None:
        """Close, and wait for a pass under way to stop."""
        running = self._pass
        self.close()
        if running is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await running

    async def _refresh(self) -> None:
        try:
            self._again = True
            while self._again and self._on:
                self._again = False
                await self._one_pass()
        except Exception as err:  # presses fall back to deciding on their own path
            log.error("preparing raises failed", error=repr(err))
        finally:
            self._pass = None
            if self._on:
                self._arm_next_minute()

    async def _one_pass(self) -> None:
        wanted: set[tuple[str, str, Level]] = set()
        for n, office in enumerate(list(self._offices())):
            if n and not n % OFFICES_PER_TURN:
                await asyncio.sleep(0)
            for device_id, trigger in office.triggers.items():
                # gestures that raise the same level get the same decision, but for the
                # gesture named in the press's record, which the press puts in
                by_level = {trigger.level_for(g): g for g in reversed(Gesture)}
                for level, gesture in by_level.items():
                    key = (office.id, device_id, level)
                    wanted.add(key)
                    if self._prepare_one(key, office, gesture):
                        await asyncio.sleep(0)  # a press waits for one decision at most
        for gone in self._ready.keys() - wanted:
            del self._ready[gone]

    def _prepare_one(self, key: tuple[str, str, Level], office: Office, gesture: Gesture) -> bool:
        now = self._clock.now()
        basis = self._basis(office.id, now)
        kept = self._ready.setdefault(key, {})
        if (found := kept.get(basis)) is not None and found.office is office:
            return False
        if self._failed.get((key, basis)) is office:
            return False  # tried on this basis already: presses are decided on their path
        device_id = key[1]
        try:
            template = template_press(device_id, gesture, AlarmMode.REAL)
            resolved, decision = self._decide(office, template, now, basis.busy)
            ready = PreparedDecision.of(decision, now)
        except Exception as err:  # that press will be decided on its own path
            log.warning("cannot prepare a raise", device_id=device_id, error=repr(err))
            self._failed = {k: o for k, o in self._failed.items() if k[1].minute == basis.minute}
            self._failed[(key, basis)] = office
            return True
        kept[basis] = PreparedRaise(office, resolved, ready, basis)
        for old in [b for b in kept if b.minute != basis.minute]:  # from an earlier minute
            del kept[old]
        while len(kept) > BASES_KEPT:
            del kept[next(iter(kept))]
        return True

    def _arm_next_minute(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        now = self._clock.now()
        boundary = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nothing to prepare for
            self._timer = self._clock.call_at(boundary, self.stale)
