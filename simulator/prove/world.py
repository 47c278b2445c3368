"""Everything a proof run has running: broker, database, service, the two proxies, the offices'
handsets and buttons; and the ways a fault or the schedule acts on them."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from simulator.load import LoadOffice, generate
from simulator.prove.checks import AlarmRecord
from simulator.prove.clients import Buttons, Handset, HandsetLog, Press
from simulator.prove.procs import Mosquitto, Postgres, Service
from simulator.prove.proxy import Proxy
from simulator.prove.readback import read_alarms

CLOSE_WAIT_S = 6.0  # a press waits this long for its alarm to close before the next one
QUIET_S = 60.0  # after the schedule, how long open alarms get to close
HELD_S = 1.5  # a second's held repeats are recorded when it is over (app.core.repeats)
DRAIN_CAP_S = 900.0  # a flood's feedback still arriving extends the quiet period up to this


@dataclass
class ProveOffice:
    office_id: str
    desk: str
    worn: str
    tokens: list[str]  # handsets run by the harness; the leader's first
    slow_token: str  # a handset kept for the slow-reader fault
    api_token: str
    seq: int = 0

    @classmethod
    def of(cls, office: LoadOffice) -> ProveOffice:
        *others, slow = office.other_tokens
        worn = office.device_id.replace("desk-1", "worn-1")
        tokens = [office.leader_token, *others]
        return cls(office.office_id, office.device_id, worn, tokens, slow, office.api_token)


@dataclass
class Options:
    offices: int = 4
    handsets: int = 5
    postgres: bool = False
    shipped_broker_config: bool = True
    burst_size: int = 200
    pause_s: float = 2.0  # healthy time between two faults (CI's short runs take less)


@dataclass
class World:
    folder: Path
    options: Options
    mosquitto: Mosquitto
    service: Service
    broker_proxy: Proxy
    handset_proxy: Proxy
    buttons: Buttons
    offices: list[ProveOffice]
    postgres: Postgres | None = None
    sqlite: Path | None = None
    handsets: list[HandsetLog] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    no_more_presses: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.handset_proxy.port}/ws/handset"

    @property
    def burst_size(self) -> int:
        return self.options.burst_size

    # -- acting ------------------------------------------------------------------------------

    def press(self, office: ProveOffice, device: str = "desk", flood: bool = False) -> Press:
        office.seq += 1
        device_id = office.desk if device == "desk" else office.worn
        return self.buttons.press(device_id, office.office_id, office.seq, flood)

    def frames_of(self, office: ProveOffice) -> int:
        return sum(len(h.received) for h in self.handsets if h.office_id == office.office_id)

    async def until(
        self,
        condition: Callable[[], bool],
        timeout_s: float,
        progress: Callable[[], int] | None = None,
    ) -> bool:
        """Wait for `condition`; while `progress` still moves (a flood draining), the wait goes
        on past `timeout_s`, by `timeout_s` from the last move, up to `DRAIN_CAP_S`."""
        start = time.monotonic()
        deadline, last = start + timeout_s, progress() if progress else 0
        while not condition():
            now = time.monotonic()
            if progress is not None and progress() != last:
                last = progress()
                deadline = min(max(deadline, now + timeout_s), start + DRAIN_CAP_S)
            if now > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def kill_service(self) -> None:
        self.service.kill()
        await asyncio.sleep(0.5)
        await asyncio.to_thread(self.service.start)

    async def restart_service(self, extra_env: dict[str, str] | None = None) -> None:
        for key in ("LD_PRELOAD", "FAKETIME", "DONT_FAKE_MONOTONIC"):
            self.service.env.pop(key, None)
        self.service.env.update(extra_env or {})
        await asyncio.to_thread(self.service.stop)
        await asyncio.to_thread(self.service.start)

    def postgres_restart(self) -> None:
        assert self.postgres is not None
        self.postgres.restart()

    # -- the office's people -----------------------------------------------------------------

    def start_people(self) -> None:
        for office in self.offices:
            for n, token in enumerate(office.tokens):
                log = HandsetLog(token, office.office_id, leader=n == 0)
                self.handsets.append(log)
                self._tasks.append(asyncio.create_task(Handset(self.ws_url, log).run(self.stop)))
            self.handsets.append(HandsetLog(office.slow_token, office.office_id, False, True))
        self._tasks.append(asyncio.create_task(self.repeat_presses()))

    async def all_welcomed(self, timeout_s: float = 60.0) -> bool:
        people = [h for h in self.handsets if not h.slow]
        return await self.until(lambda: all(h.intervals for h in people), timeout_s)

    async def keep_pressing(self, office: ProveOffice, pause: Callable[[], float]) -> None:
        """Press the desk button, wait for the alarm to close (or a bound), pause, again."""
        leader = next(h for h in self.handsets if h.token == office.tokens[0])
        while not self.no_more_presses.is_set():
            self.press(office)
            await self.until(_closes_one_more(leader), CLOSE_WAIT_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.no_more_presses.wait(), pause())

    async def repeat_presses(self) -> None:
        """The buttons' own retry, as a native button repeats an unanswered press."""
        while not self.stop.is_set():
            self.buttons.repeat_unheard(time.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 1.0)

    async def quiet(self) -> None:
        """Stop pressing; give every press the time to be heard and every alarm the harness saw
        the time to close; then stop the people."""
        self.no_more_presses.set()
        self.broker_proxy.heal()
        self.handset_proxy.heal()
        self.broker_proxy.delay_s = self.handset_proxy.delay_s = 0.0

        def settled() -> bool:
            seen = {r.alarm_id for h in self.handsets for r in h.received}
            closed = {a for h in self.handsets for a in h.closed_seen}
            return seen <= closed and not self.buttons.unheard()

        await self.until(settled, QUIET_S, lambda: sum(self.buttons.heard.values()))
        await asyncio.sleep(HELD_S)  # repeats held for their second reach the timeline
        self.stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- reading back ------------------------------------------------------------------------

    def read_alarms(self) -> list[AlarmRecord]:
        offices = [(o.office_id, o.api_token) for o in self.offices]
        return read_alarms(self.service.http, offices)


def _closes_one_more(handset: HandsetLog) -> Callable[[], bool]:
    before = len(handset.closed_seen)
    return lambda: len(handset.closed_seen) > before


@contextlib.asynccontextmanager
async def world(folder: Path, options: Options) -> AsyncIterator[World]:
    """Start broker, database, service and proxies in `folder`; stop them all afterwards."""
    mosquitto = Mosquitto(folder / "mosquitto", shipped=options.shipped_broker_config)
    mosquitto.start()
    postgres = Postgres(folder / "pg" / "data") if options.postgres else None
    sqlite = None if postgres else folder / "prove.db"
    broker_proxy = Proxy(mosquitto.port)
    await broker_proxy.start()
    generated = generate(folder / "offices", options.offices, options.handsets)
    env = {
        "ROLLEKORT_CONFIG": str(folder / "offices"),
        "ROLLEKORT_BROKER": f"mqtt://127.0.0.1:{broker_proxy.port}",
        "ROLLEKORT_MQTT_CLIENT_ID": f"rollekort-prove-{uuid.uuid4().hex[:8]}",
        "ROLLEKORT_LOG_LEVEL": "WARNING",
        "ROLLEKORT_PING_INTERVAL_S": "2",
    }
    service = Service(env, folder / "service.log")
    handset_proxy = Proxy(service.port)
    buttons = Buttons("127.0.0.1", mosquitto.port)
    try:
        if postgres is not None:
            await asyncio.to_thread(postgres.start)
        env["ROLLEKORT_DB"] = postgres.url if postgres else f"sqlite+aiosqlite:///{sqlite}"
        await asyncio.to_thread(service.start)
        await handset_proxy.start()
        offices = [ProveOffice.of(o) for o in generated]
        yield World(
            folder,
            options,
            mosquitto,
            service,
            broker_proxy,
            handset_proxy,
            buttons,
            offices,
            postgres,
            sqlite,
        )
    finally:
        buttons.close()
        await handset_proxy.close()
        await broker_proxy.close()
        service.stop()
        mosquitto.stop()
        if postgres is not None:
            postgres.stop()
