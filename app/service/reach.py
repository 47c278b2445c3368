"""Reachability per handset: connected (a live socket that answers its pings), reachable by push
(its service worker confirmed a push recently), or unreachable.

A phone in a pocket has its page suspended and its socket closed (or, worse, frozen and still
open), so presence cannot mean "the socket is open": a person also counts as present while one
of their phones confirms pushes (`push:<handset>` in `Presence`), and a socket that missed a
ping no longer counts as connected, so its offers are known to depend on the push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.core.office import Office
from app.core.supervision import Problem
from app.service.clock import Cancellable, Clock
from app.service.presence import Presence

REFRESH_EVERY = timedelta(seconds=30)


class Reach(StrEnum):
    CONNECTED = "connected"
    PUSH = "push"
    UNREACHABLE = "unreachable"


@dataclass
class HandsetReach:
    office_id: str
    handset_id: str
    person_id: str
    socket: bool = False
    stale: bool = False  # the socket missed a ping: the page may be frozen
    subscribed: bool = False
    last_receipt: datetime | None = None
    on_duty: bool = True
    push_present: bool = False  # counted in Presence as `push:<handset>`


Arrival = Callable[[str, str], None]


class Reachability:
    def __init__(
        self, presence: Presence, clock: Clock, fresh: timedelta, on_arrival: Arrival | None = None
    ) -> None:
        self._presence = presence
        self._clock = clock
        self.fresh = fresh
        self.on_arrival = on_arrival
        self._handsets: dict[tuple[str, str], HandsetReach] = {}
        self._by_office: dict[str, dict[str, HandsetReach]] = {}  # coverage reads one office
        self._timer: Cancellable | None = None

    def start(self) -> None:
        self.refresh()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    # -- what the socket and the push channel report -----------------------------------

    def _of(self, office_id: str, handset_id: str, person_id: str | None = None) -> HandsetReach:
        rec = self._handsets.get((office_id, handset_id))
        if rec is None:
            rec = HandsetReach(office_id, handset_id, person_id or "")
            self._handsets[(office_id, handset_id)] = rec
            self._by_office.setdefault(office_id, {})[handset_id] = rec
        elif person_id is not None:
            rec.person_id = person_id
        return rec

    def socket_up(self, office_id: str, handset_id: str, person_id: str) -> None:
        rec = self._of(office_id, handset_id, person_id)
        rec.socket, rec.stale, rec.on_duty = True, False, True  # a new connection starts on duty
        self._sync(rec)

    def socket_down(self, office_id: str, handset_id: str) -> None:
        rec = self._handsets.get((office_id, handset_id))
        if rec is not None:
            rec.socket, rec.stale = False, False

    def socket_stale(self, office_id: str, handset_id: str, stale: bool) -> None:
        rec = self._handsets.get((office_id, handset_id))
        if rec is not None:
            rec.stale = stale

    def set_duty(self, office_id: str, handset_id: str, on: bool) -> None:
        rec = self._handsets.get((office_id, handset_id))
        if rec is not None:
            rec.on_duty = on
            self._sync(rec)

    def subscribed(
        self,
        office_id: str,
        handset_id: str,
        person_id: str,
        yes: bool,
        last_receipt: datetime | None = None,
    ) -> None:
        rec = self._of(office_id, handset_id, person_id)
        rec.subscribed = yes
        if last_receipt is not None:
            rec.last_receipt = last_receipt
        self._sync(rec)

    def receipt(self, office_id: str, handset_id: str, at: datetime) -> None:
        rec = self._handsets.get((office_id, handset_id))
        if rec is not None:
            rec.last_receipt = at
            self._sync(rec)

    def forget(self, office_id: str, handset_id: str) -> None:
        """A revoked handset: it no longer counts in any way."""
        rec = self._handsets.pop((office_id, handset_id), None)
        self._by_office.get(office_id, {}).pop(handset_id, None)
        if rec is not None and rec.push_present:
            self._presence.left(office_id, rec.person_id, f"push:{handset_id}")

    # -- what presence, coverage and the console read -----------------------------------

    def state(self, office_id: str, handset_id: str) -> Reach:
        rec = self._handsets.get((office_id, handset_id))
        return Reach.UNREACHABLE if rec is None else self._state(rec, self._clock.now())

    def _state(self, rec: HandsetReach, now: datetime) -> Reach:
        if rec.socket and not rec.stale:
            return Reach.CONNECTED
        if self._push_fresh(rec, now):
            return Reach.PUSH
        return Reach.UNREACHABLE

    def _push_fresh(self, rec: HandsetReach, now: datetime) -> bool:
        return (
            rec.subscribed and rec.last_receipt is not None and now - rec.last_receipt <= self.fresh
        )

    def handsets(self, office_id: str) -> list[tuple[HandsetReach, Reach]]:
        now = self._clock.now()
        mine = self._by_office.get(office_id, {})
        return [(mine[h], self._state(mine[h], now)) for h in sorted(mine)]

    def problems(self, office: Office) -> list[Problem]:
        """Coverage reasons: a leader whose only way to be reached is a push that has not been
        confirmed lately (a phone switched off, or notifications blocked)."""
        now = self._clock.now()
        leaders = {p for r in office.rolecard.roles if r.leader for p in office.named_for(r)}
        by_person: dict[str, list[HandsetReach]] = {}
        for rec in self._by_office.get(office.id, {}).values():
            if rec.person_id in leaders:
                by_person.setdefault(rec.person_id, []).append(rec)
        problems = []
        for person_id in sorted(by_person):
            mine = by_person[person_id]
            subscribed = [r for r in mine if r.subscribed]
            if not subscribed or any(self._state(r, now) is not Reach.UNREACHABLE for r in mine):
                continue
            person = office.people.get(person_id)
            name = person.name if person else person_id
            last = max((r.last_receipt for r in subscribed if r.last_receipt), default=None)
            if last is None:
                text = "the leader's phone ({name}) has not confirmed a push since it subscribed"
                problems.append(Problem.of("leader_phone_never_confirmed", text, name=name))
                continue
            minutes = int((now - last).total_seconds() // 60)
            text = "the leader's phone ({name}) has not confirmed a push for {minutes} min"
            problems.append(
                Problem.of("leader_phone_unconfirmed", text, name=name, minutes=minutes)
            )
        return problems

    # -- keeping presence true ----------------------------------------------------------

    def refresh(self) -> None:
        """Receipts age: a phone whose last confirmation is too old stops counting as present."""
        for rec in list(self._handsets.values()):
            self._sync(rec)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._clock.call_at(self._clock.now() + REFRESH_EVERY, self.refresh)

    def _sync(self, rec: HandsetReach) -> None:
        want = rec.on_duty and self._push_fresh(rec, self._clock.now())
        if want == rec.push_present:
            return
        key = f"push:{rec.handset_id}"
        rec.push_present = want
        if want:
            arriving = not self._presence.is_present(rec.office_id, rec.person_id)
            self._presence.arrived(rec.office_id, rec.person_id, key)
            if arriving and self.on_arrival is not None:
                self.on_arrival(rec.office_id, rec.person_id)
        else:
            self._presence.left(rec.office_id, rec.person_id, key)
