"""`GET /ws/handset`: let in by app.adapters.ws.hello, then answers in and frames out."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import structlog
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from app.adapters.ws import inbound, outbound
from app.adapters.ws.hello import TRY_AGAIN_LATER, admit
from app.adapters.ws.hub import Connection
from app.api.handset_places import PlaceError, handle_place, places_view, stored
from app.core import commands as cmd
from app.core.arrival import presser_news
from app.core.facts import guest_id
from app.core.office import Handset, Office
from app.core.transitions import InvalidTransition
from app.core.whereabouts import Whereabouts
from app.service.reach import Reachability
from app.services import Services

log = structlog.get_logger(__name__)
router = APIRouter()

REPLACED = 4409
ABSENT = 4408


@router.websocket("/ws/handset")
async def handset_socket(ws: WebSocket) -> None:
    services: Services | None = ws.app.state.services
    if services is None:  # a standby replica (issue 14): the handset reconnects, to the leader
        await ws.accept()
        await ws.close(TRY_AGAIN_LATER, "not leading: reconnect")
        return
    found = await admit(ws, services)
    if found is None:
        return
    office, handset, receipts = found
    session = _Session(ws, services, office, handset)
    session.conn.receipts = receipts
    await session.run()


@dataclass
class _Ping:
    nonce: str | None = None
    missed: int = 0


class _Session:
    def __init__(self, ws: WebSocket, services: Services, office: Office, handset: Handset) -> None:
        self.ws = ws
        self.services = services
        self._office_id = office.id
        self.handset = handset
        self.ping = _Ping()
        self.conn = Connection(
            handset_id=handset.id,
            person_id=handset.person_id,
            office_id=office.id,
            send_text=ws.send_text,
            close=self._close,
        )

    @property
    def office(self) -> Office:
        """The office as it is now: an activated role-card version applies from the next frame."""
        return self.services.offices.office(self._office_id)

    async def _close(self, code: int) -> None:
        if self.ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code)

    async def run(self) -> None:
        hub = self.services.hub
        arriving = not self.services.presence.is_present(self._office_id, self.handset.person_id)
        old = hub.attach(self.conn)
        if old is not None:
            await old.close(REPLACED)
        self._reach(lambda r: r.socket_up(self._office_id, self.handset.id, self.handset.person_id))
        log.info("handset connected", handset_id=self.handset.id, office_id=self.office.id)
        hub.send(self.conn, self._welcome())
        self._send_snapshot()
        for notice in hub.standing_notices(self._office_id):  # visits, neighbours' drills
            hub.send(self.conn, notice)
        if arriving:
            await self.services.dispatcher.person_arrived(self.office, self.handset.person_id)
        self._presence_changed()
        self.services.pings.join(self)
        try:
            await self._read_loop()
        finally:
            self.services.pings.leave(self)
            await hub.detach(self.conn)
            if hub.connection(self._office_id, self.handset.id) is None:
                self._reach(lambda r: r.socket_down(self._office_id, self.handset.id))
            log.info("handset disconnected", handset_id=self.handset.id)
            self._presence_changed()

    def _presence_changed(self) -> None:
        """A handset came or went: its office's coverage (a required role with nobody present) is
        rechecked soon, so the leader hears of it without waiting for the next round."""
        if self.services.supervision is not None:
            self.services.supervision.presence_changed(self._office_id)

    def _welcome(self) -> dict[str, object]:
        office = self.office
        person = self.handset.person_id
        versions = self.services.versions
        open_now = self.services.dispatcher.open_alarms(office.id)
        return {
            **outbound.welcome_frame(self.handset.id, person, office, self._today()),
            "open_alarms": [s.alarm_id for s in open_now],
            "rolecard_version": office.rolecard.version,
            "acknowledged": versions is None or person in versions.acknowledged(office.id),
            "intervention_policy": _policy_text(office),
            "coverage": _coverage(self.services, office.id),
            **places_view(office, self._whereabouts(), person),
        }

    def _today(self) -> date:
        return outbound.office_day(self.office, self.services.clock.now())

    def _whereabouts(self) -> Whereabouts:
        now = self.services.clock.now()
        return self.services.dispatcher.places.snapshot(self._office_id, now)

    def _send_snapshot(self) -> None:
        """Open offers (and the role already held, with its steps) are sent again on every
        (re)connect, so a resume never misses one; `welcome.open_alarms` lets the handset drop
        alarms that closed while it was away."""
        hub = self.services.hub
        person = self.handset.person_id
        dispatcher = self.services.dispatcher
        for state in dispatcher.open_alarms(self.office.id):
            office = dispatcher.office_of(state)  # the card (and variant) the alarm runs on
            held = state.role_held_by(person)
            mine = [*state.live_offers(person), *([held] if held else [])]
            for slot in mine:
                hub.send(self.conn, outbound.offer_frame(state, office, slot.role_id))
            if state.presser_id == person:  # her own alarm: the quiet card, never a notice
                news = presser_news(state, office.rolecard).value
                hub.send(self.conn, outbound.presser_frame(state, office, news))
            elif not mine:
                hub.send(self.conn, outbound.notice_frame(state, office))
            hub.send(self.conn, outbound.update_frame(state, office, None))
            if state.lockdown:
                hub.send(self.conn, outbound.lockdown_frame(state, True))
        for state, origin in dispatcher.shared_into(self.office.id):
            me = guest_id(self._office_id, person)
            offers = [*state.live_offers(me), *filter(None, [state.role_held_by(me)])]
            for slot in offers:
                hub.send(self.conn, outbound.offer_frame(state, origin, slot.role_id))
            if not offers:
                hub.send(self.conn, outbound.shared_frame(state, origin))

    async def _read_loop(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                self._error("bad_frame", "send JSON text frames")
                continue
            await self._on_text(text)

    async def _on_text(self, text: str) -> None:
        try:
            frame = inbound.parse_frame(text)
        except inbound.BadFrame as err:
            self.services.metrics.ws_bad_frames.inc()
            log.info("bad handset frame", handset_id=self.handset.id, reason=err.message)
            self._error("bad_frame", err.message)
            return
        if isinstance(frame, inbound.Pong):
            if frame.nonce == self.ping.nonce:
                if self.ping.missed:
                    self._reach(lambda r: r.socket_stale(self._office_id, self.handset.id, False))
                self.ping = _Ping()
            return
        if isinstance(frame, inbound.Received):
            self._received(frame)
            return
        if isinstance(frame, inbound.Acknowledge):
            await self._acknowledge()
            return
        if isinstance(frame, inbound.Duty):
            await self._duty(frame.on)
            return
        if isinstance(frame, inbound.Hello):
            self._error("already_authenticated", "hello was already accepted")
            return
        if isinstance(frame, inbound.CheckIn | inbound.CheckOut | inbound.Carry | inbound.GiveBack):
            await self._place(frame)
            return
        await self._command(frame)

    async def _place(
        self, frame: inbound.CheckIn | inbound.CheckOut | inbound.Carry | inbound.GiveBack
    ) -> None:
        places = self.services.dispatcher.places
        now = self.services.clock.now()
        send = lambda f: self.services.hub.send(self.conn, f)  # noqa: E731
        try:
            await handle_place(frame, self.office, self.handset.person_id, places, now, send)
        except PlaceError as err:
            self._error(err.code, err.message)
            return
        self._presence_changed()  # lone reception and "never alone" depend on check-ins

    async def _command(self, frame: inbound.ClientFrame) -> None:
        alarm_id = getattr(frame, "alarm_id", None)
        try:
            owner, person = self.services.dispatcher.route(
                self._office_id, self.handset.person_id, alarm_id or ""
            )
            command, alarm_id = self._to_command(frame, alarm_id, person)
            await self.services.dispatcher.handle(owner, alarm_id, command)
        except InvalidTransition as err:
            self.services.metrics.commands_refused.labels(err.code).inc()
            self._error(err.code, err.message, alarm_id)

    def _to_command(
        self, frame: inbound.ClientFrame, alarm_id: str | None, person: str
    ) -> tuple[cmd.Command, str]:
        match frame:
            case inbound.Accept(alarm_id=a, role_id=r):
                return cmd.AcceptRole(person_id=person, role_id=r), a
            case inbound.Decline(alarm_id=a, role_id=r, reason=why):
                return cmd.DeclineRole(person_id=person, role_id=r, reason=why), a
            case inbound.StepDone(alarm_id=a, role_id=r, step=n):
                return cmd.CompleteStep(person_id=person, role_id=r, step=n), a
            case inbound.NeedHelp(alarm_id=a, text=t):
                return cmd.RequestHelp(person_id=person, text=t), a
            case inbound.AllClear(alarm_id=a, note=n):
                return cmd.GiveAllClear(person_id=person, note=n), a
            case inbound.Lockdown(on=on):
                return cmd.SetLockdown(person_id=person, on=on), alarm_id or self._led_alarm()
            case inbound.Arrived(alarm_id=a):
                return cmd.MarkArrived(person_id=person), a
            case inbound.PoliceContacted(alarm_id=a):
                return cmd.MarkPoliceContacted(person_id=person), a
        raise InvalidTransition("bad_frame", f"{frame.type} is not a command")

    async def _acknowledge(self) -> None:
        """The person has read the active card (and the intervention policy shown with it)."""
        versions = self.services.versions
        if versions is None:
            self._error("unavailable", "role-card versions are not kept by this service")
            return
        number = await versions.acknowledge(self.office.id, self.handset.person_id)
        version = self.office.rolecard.version
        self.services.hub.send(self.conn, {"type": "acknowledged", "rolecard_version": version})
        log.info("role card acknowledged", handset_id=self.handset.id, number=number)

    async def _duty(self, on: bool) -> None:
        presence = self.services.presence
        was = presence.is_present(self._office_id, self.handset.person_id)
        presence.set_duty(self._office_id, self.handset.id, on)
        if not on:  # the shift is over: off duty checks out of the desk or room
            self.services.dispatcher.places.check_out(self._office_id, self.handset.person_id)
            await stored(self.services.dispatcher.places)
        self._reach(lambda r: r.set_duty(self._office_id, self.handset.id, on))
        self._presence_changed()
        log.info("handset duty", handset_id=self.handset.id, on_duty=on)
        self.services.hub.send(self.conn, {"type": "duty", "on": on})
        if on and not was:
            await self.services.dispatcher.person_arrived(self.office, self.handset.person_id)

    def _led_alarm(self) -> str:
        """A lockdown without alarm_id applies to the one open alarm this person leads."""
        person = self.handset.person_id
        for state in self.services.dispatcher.open_alarms(self.office.id):
            if state.role_held_by(person) is not None:
                return state.alarm_id
        raise InvalidTransition(
            "not_leader", "lockdown needs an open alarm whose leader role you hold"
        )

    def _reach(self, change: Callable[[Reachability], None]) -> None:
        if self.services.reach is not None:
            change(self.services.reach)

    def _received(self, frame: inbound.Received) -> None:
        """[ext] The page showed an offer: it reached the phone by its socket."""
        tracker = self.services.tracker
        if tracker is None:
            return
        try:
            owner, person = self.services.dispatcher.route(
                self._office_id, self.handset.person_id, frame.alarm_id
            )
        except InvalidTransition:
            return  # an alarm that closed meanwhile: nothing to record
        tracker.confirmed(owner.id, frame.alarm_id, frame.role_id, person, "socket")

    def _error(self, code: str, message: str, ref: str | None = None) -> None:
        self.services.hub.send(self.conn, outbound.error_frame(code, message, ref))

    def ping_due(self) -> bool:
        """Called by the ping round once per interval: a handset that misses two pings in a row
        is counted as absent and dropped (False: it leaves the round)."""
        hub = self.services.hub
        if self.ping.nonce is not None:
            self.ping.missed += 1
            # one missed ping: the page may be frozen with its socket open; its offers
            # now count on the push (app.service.reach), before the socket is dropped
            self._reach(lambda r: r.socket_stale(self._office_id, self.handset.id, True))
            if self.ping.missed >= 2:
                log.warning("handset missed two pings", handset_id=self.handset.id)
                hub.mark_absent(self.conn)
                hub.close_soon(self.conn, ABSENT)
                return False
        self.ping.nonce = secrets.token_hex(8)
        hub.send(self.conn, {"type": "ping", "nonce": self.ping.nonce})
        return True


def _policy_text(office: Office) -> str | None:
    policy = office.facts.intervention_policy
    return policy.text if policy else None


def _coverage(services: Services, office_id: str) -> dict[str, object] | None:
    if services.supervision is None:
        return None
    cover = services.supervision.coverage(office_id, pending_ok=True)  # see its docstring
    coverage: dict[str, object] = outbound.coverage_frame(cover)["coverage"]
    return coverage
