"""The handset hub: one queue and one writer task per connection, so a slow handset never
blocks the others and each handset gets its frames in order; every frame gets the handset's next
`event_seq`.

`event_seq` starts from the wall clock in microseconds-per-millisecond units when a handset is
first seen by this process, so it keeps increasing across service restarts and a handset that
resumes never sees a number go backwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from app.adapters.ws import outbound
from app.adapters.ws.encoding import Encoded, OfferTexts, encode, stamped
from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.facts import split_guest
from app.core.office import Office
from app.core.supervision import Coverage
from app.service.clock import Clock
from app.service.metrics import Metrics
from app.service.presence import Presence

log = structlog.get_logger(__name__)

QUEUE_LIMIT = 500
Frame = dict[str, Any]


class Outbox:
    """A handset's frames waiting for its writer task: an `asyncio.Queue` without what the hub
    never uses (a queue holds three deques and its waiters; 20,000 handsets held 5 kB each)."""

    __slots__ = ("_frames", "_limit", "_wake")

    def __init__(self, limit: int) -> None:
        self._frames: deque[str] = deque()
        self._limit = limit
        self._wake: asyncio.Future[None] | None = None

    def put_nowait(self, text: str) -> None:
        if len(self._frames) >= self._limit:
            raise asyncio.QueueFull
        self._frames.append(text)
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def get(self) -> str:
        while not self._frames:
            self._wake = asyncio.get_running_loop().create_future()
            try:
                await self._wake
            finally:
                self._wake = None
        return self._frames.popleft()


@dataclass(eq=False, slots=True)
class Connection:
    handset_id: str
    person_id: str
    office_id: str
    send_text: Callable[[str], Coroutine[Any, Any, None]]
    close: Callable[[int], Coroutine[Any, Any, None]]
    queue: Outbox = field(default_factory=lambda: Outbox(QUEUE_LIMIT))
    writer: asyncio.Task[None] | None = None
    gone: bool = False  # a send failed: the socket is closed, the reader side cleans up
    receipts: bool = False  # [ext] the client confirms offers with `received` frames

    @property
    def key(self) -> str:
        """Handset ids are an office's own: two offices may both have an `hs-lise`."""
        return f"{self.office_id}/{self.handset_id}"


class HandsetHub:
    def __init__(self, presence: Presence, clock: Clock, metrics: Metrics) -> None:
        self._presence = presence
        self._clock = clock
        self._metrics = metrics
        self._by_handset: dict[str, Connection] = {}
        self._by_office: dict[str, dict[str, Connection]] = {}  # office -> key -> connection
        self._seq: dict[str, int] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._offer_texts = OfferTexts()
        # notices a handset that connects later must still get: an outreach alarm's place by
        # office and alarm (until it closes); a neighbour's drill by office, with its end
        self._visits: dict[str, dict[str, Frame]] = {}
        self._drills: dict[str, dict[str, tuple[datetime, Frame]]] = {}

    # -- connections -------------------------------------------------------------------

    def attach(self, conn: Connection) -> Connection | None:
        """Register a connection; returns the one it replaces (same handset), if any."""
        old = self._by_handset.get(conn.key)
        self._by_handset[conn.key] = conn
        self._by_office.setdefault(conn.office_id, {})[conn.key] = conn
        conn.writer = asyncio.create_task(self._write(conn))
        self._presence.arrived(conn.office_id, conn.person_id, conn.handset_id)
        self._metrics.handsets.set(len(self._by_handset))
        return old

    async def detach(self, conn: Connection) -> None:
        if self._by_handset.get(conn.key) is conn:
            del self._by_handset[conn.key]
            del self._by_office[conn.office_id][conn.key]
            self._presence.left(conn.office_id, conn.person_id, conn.handset_id)
        self._metrics.handsets.set(len(self._by_handset))
        if conn.writer is not None:
            conn.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.writer

    async def drop(self, office_id: str, handset_id: str, code: int) -> bool:
        """Close a handset's live connection (a revoked handset: 4401); False if none is open."""
        conn = self._by_handset.get(f"{office_id}/{handset_id}")
        if conn is None:
            return False
        log.info("handset dropped", handset_id=handset_id, office_id=office_id, code=code)
        await conn.close(code)
        return True

    def mark_absent(self, conn: Connection) -> None:
        """Missed pings: the person no longer counts as present through this handset."""
        self._presence.left(conn.office_id, conn.person_id, conn.handset_id)

    def send(self, conn: Connection, frame: Frame | Encoded) -> None:
        """Queue a frame behind the handset's earlier ones; its writer task sends it."""
        if conn.gone:
            return
        encoded = frame if isinstance(frame, Encoded) else encode(frame)
        text = stamped(encoded, self._next_seq(conn.key))
        try:
            conn.queue.put_nowait(text)
        except asyncio.QueueFull:
            self._metrics.ws_queue_overflow.inc()
            log.warning("handset queue full, dropping connection", handset_id=conn.handset_id)
            self.close_soon(conn, 1013)

    def close_soon(self, conn: Connection, code: int) -> None:
        """Close a connection from code that cannot wait for the close handshake."""
        task = asyncio.get_running_loop().create_task(conn.close(code))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def connection(self, office_id: str, handset_id: str) -> Connection | None:
        """The handset's live connection, if it has one."""
        return self._by_handset.get(f"{office_id}/{handset_id}")

    def unconfirming(self, office_id: str, person_id: str) -> list[Connection]:
        """The person's open sockets from clients that do not confirm offers (plain protocol v1
        clients): whether an offer reached such a phone cannot be known."""
        return [c for c in self._of_person(office_id, person_id) if not c.receipts and not c.gone]

    def connected(self, office_id: str) -> list[Connection]:
        """The office's connections (indexed: a burst asks this once per offer)."""
        return list(self._by_office.get(office_id, {}).values())

    def _next_seq(self, handset_id: str) -> int:
        seq = self._seq.get(handset_id)
        if seq is None:
            seq = int(self._clock.now().timestamp() * 1000) * 1000
        self._seq[handset_id] = seq + 1
        return seq + 1

    async def _write(self, conn: Connection) -> None:
        while True:
            text = await conn.queue.get()
            try:
                await conn.send_text(text)
            except Exception as err:  # the socket is gone; the reader side cleans up
                self._send_failed(conn, err)
                return

    def _send_failed(self, conn: Connection, err: BaseException) -> None:
        conn.gone = True
        log.info("handset send failed", handset_id=conn.handset_id, error=repr(err))

    # -- HandsetNotifier ---------------------------------------------------------------

    def _of_person(self, office_id: str, person_id: str) -> list[Connection]:
        guest = split_guest(person_id)  # a person of another office offered a role here
        if guest is not None:
            office_id, person_id = guest
        return [c for c in self.connected(office_id) if c.person_id == person_id]

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> None:
        # built only for a connected person: on a press most offers go to handsets not here
        connections = self._of_person(office.id, person_id)
        if connections:
            frame = self._offer_texts.encoded(state, office, role_id)
            for conn in connections:
                self.send(conn, frame)

    def notice(self, state: AlarmState, office: Office, person_ids: Sequence[str]) -> None:
        connections = [c for p in person_ids for c in self._of_person(office.id, p)]
        if connections:
            frame = encode(outbound.notice_frame(state, office))
            for conn in connections:
                self.send(conn, frame)

    def update(self, state: AlarmState, office: Office, last: ev.Event | None) -> None:
        frame = outbound.update_frame(state, office, last)
        for target in (office.id, *(s.office_id for s in office.facts.sharing if s.offers_role)):
            self._broadcast(target, frame)

    def closed(self, state: AlarmState, office: Office) -> None:
        self._visits.get(office.id, {}).pop(state.alarm_id, None)
        frame = outbound.closed_frame(state)
        for target in (office.id, *(s.office_id for s in office.facts.sharing)):
            self._broadcast(target, frame)

    def shared(self, state: AlarmState, office: Office, office_ids: Sequence[str]) -> None:
        frame = outbound.shared_frame(state, office)
        for target in office_ids:
            self._broadcast(target, frame)

    def lockdown(self, state: AlarmState, office: Office, on: bool) -> None:
        self._broadcast(office.id, outbound.lockdown_frame(state, on))

    def assembly(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str]
    ) -> None:
        frame = outbound.assembly_frame(state, office, role_id)
        for person_id in person_ids:
            for conn in self._of_person(office.id, person_id):
                self.send(conn, frame)

    def presser(self, state: AlarmState, office: Office, person_id: str, feedback: str) -> None:
        frame = outbound.presser_frame(state, office, feedback)
        for conn in self._of_person(office.id, person_id):
            self.send(conn, frame)

    def reminder(
        self,
        state: AlarmState,
        office: Office,
        role_id: str,
        person_ids: Sequence[str],
        kind: str,
    ) -> None:
        frame = outbound.reminder_frame(state, office, role_id, kind)
        for person_id in person_ids:
            for conn in self._of_person(office.id, person_id):
                self.send(conn, frame)

    def roles_changed(self, office: Office) -> None:
        """A new card is active, or an acting leader's days started or ended: every connected
        handset of the office gets its person's standing roles as of today, so the idle screen
        never shows a role from an old card or a holder who is away."""
        today = outbound.office_day(office, self._clock.now())
        for conn in self.connected(office.id):
            if conn.person_id in office.people:
                self.send(conn, outbound.standing_roles_frame(conn.person_id, office, today))

    def drill_started(self, office: Office, until: datetime) -> None:
        """Announce an office's drill to the offices it shares its alarms with (req. 12)."""
        frame = outbound.drill_announced_frame(office, until)
        for share in office.facts.sharing:
            self._drills.setdefault(share.office_id, {})[office.id] = (until, frame)
            self._broadcast(share.office_id, frame)

    def visit(self, office: Office, alarm_id: str, person_id: str, where: str) -> None:
        """An outreach alarm: every handset of the office hears who is out and where."""
        frame = outbound.visit_frame(office, alarm_id, person_id, where)
        self._visits.setdefault(office.id, {})[alarm_id] = frame
        self._broadcast(office.id, frame)

    def standing_notices(self, office_id: str) -> list[Frame]:
        """What a handset of this office that (re)connects is told again: the places of its
        office's open outreach alarms and the neighbours' drills not yet over."""
        now = self._clock.now()
        drills = self._drills.get(office_id, {})
        for other in [o for o, (until, _) in drills.items() if until <= now]:
            del drills[other]
        return [*self._visits.get(office_id, {}).values(), *(f for _, f in drills.values())]

    def coverage(self, office_id: str, coverage: Coverage) -> None:
        """Coverage changed: every handset of the office is told, the leader's included."""
        self._broadcast(office_id, outbound.coverage_frame(coverage))

    def _broadcast(self, office_id: str, frame: Frame) -> None:
        connections = self.connected(office_id)
        if connections:
            encoded = encode(frame)  # once for every handset: only event_seq differs
            for conn in connections:
                self.send(conn, encoded)
