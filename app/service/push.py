"""Web Push to the handsets' service workers: offers, lockdown notices, alarm closes, test
pushes and the periodic silent check; and the receipts the service workers send back.

Every message carries a fresh `id`; a receipt names it, so the service knows which push reached
which phone. Bodies hold what a lock screen shows (office, place, level, role) and no client
data; the sender encrypts them for the subscription (RFC 8291), so the push service reads none.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog

from app.core.alarm import AlarmState
from app.core.facts import split_guest
from app.core.office import Office
from app.service.clock import Cancellable, Clock
from app.service.reach import Reachability

log = structlog.get_logger(__name__)

SENT_KEPT = 20_000  # push ids remembered for their receipts (oldest forgotten first)
OFFER_TTL_S = 120  # an offer older than this is no use to anyone
NOTICE_TTL_S = 600
CHECK_TTL_S = 300


@dataclass(frozen=True)
class Subscription:
    office_id: str
    handset_id: str
    person_id: str
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class SentPush:
    push_id: str
    office_id: str  # the handset's office
    handset_id: str
    kind: str
    alarm_office_id: str | None = None  # whose alarm (another office's, for a shared role)
    alarm_id: str | None = None
    role_id: str | None = None
    person_id: str | None = None  # as the alarm names them (`office:person` for a guest)
    started: float = 0.0  # perf_counter when it was handed to the sender
    sent_at: datetime | None = None


class PushGone(Exception):
    """The push service no longer knows the subscription (404/410): forget it."""


class PushFailed(Exception):
    """The push service refused or could not be reached; the message is not delivered."""


class PushSender(Protocol):
    async def send(self, sub: Subscription, body: bytes, *, ttl: int, urgency: str) -> None: ...


class SubscriptionStore(Protocol):
    async def save(self, sub: Subscription, at: datetime) -> None: ...

    async def remove(self, office_id: str, handset_id: str) -> None: ...

    async def receipt(self, office_id: str, handset_id: str, at: datetime) -> None: ...

    async def all(self) -> list[tuple[Subscription, datetime | None]]: ...


class BadSubscription(ValueError):
    pass


PUSH_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, most Chromium browsers
    "push.services.mozilla.com",  # Firefox
    "push.apple.com",  # Safari (web.push.apple.com)
    "notify.windows.com",  # Edge on Windows
)


def check_subscription(sub: Subscription, allow_http: bool, hosts: tuple[str, ...]) -> None:
    """The service POSTs to the endpoint a handset gives it: only https to a known push service
    (so a leaked handset token cannot aim the service at the office network), unless a local
    push service is allowed (tests, the benchmark); and keys that the encryption can use."""
    parts = urlsplit(sub.endpoint)
    host = (parts.hostname or "").lower()
    if allow_http:
        if parts.scheme not in ("https", "http") or not host:
            raise BadSubscription("endpoint must be an http or https URL")
    elif parts.scheme != "https" or not any(host == h or host.endswith("." + h) for h in hosts):
        known = ", ".join(hosts)
        raise BadSubscription(f"endpoint must be https on a known push service ({known})")
    try:
        p256dh, auth = _unb64(sub.p256dh), _unb64(sub.auth)
    except ValueError as err:
        raise BadSubscription("keys must be base64url") from err
    if len(p256dh) != 65 or p256dh[0] != 4 or len(auth) != 16:
        raise BadSubscription("keys.p256dh must be a P-256 point, keys.auth 16 bytes")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


Listener = Callable[[SentPush, datetime], None]


class PushService:
    def __init__(
        self,
        store: SubscriptionStore,
        sender: PushSender,
        reach: Reachability,
        clock: Clock,
        *,
        check_every: timedelta,
        allow_http: bool = False,
        hosts: tuple[str, ...] = PUSH_HOSTS,
    ) -> None:
        self._store = store
        self._sender = sender
        self._reach = reach
        self._clock = clock
        self._check_every = check_every
        self.allow_http = allow_http
        self.hosts = hosts
        self._subs: dict[tuple[str, str], Subscription] = {}
        self._by_person: dict[tuple[str, str], dict[str, Subscription]] = {}  # an offer's look-up
        self._sent: OrderedDict[str, SentPush] = OrderedDict()
        self._received: dict[str, datetime] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timer: Cancellable | None = None
        self.listeners: list[Listener] = []  # told of every receipt

    async def load(self) -> None:
        for sub, last in await self._store.all():
            self._put(sub)
            self._reach.subscribed(sub.office_id, sub.handset_id, sub.person_id, True, last)

    def start(self) -> None:
        self._timer = self._clock.call_at(self._clock.now() + self._check_every, self.check_all)

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- subscriptions -------------------------------------------------------------------

    async def subscribe(self, sub: Subscription) -> None:
        check_subscription(sub, self.allow_http, self.hosts)
        await self._store.save(sub, self._clock.now())
        self._drop(sub.office_id, sub.handset_id)  # the handset's person may have changed
        self._put(sub)
        self._reach.subscribed(sub.office_id, sub.handset_id, sub.person_id, True)
        log.info("push subscription saved", handset_id=sub.handset_id, office_id=sub.office_id)
        # a first silent check: the phone is reachable by push once it confirms one
        self._send(
            sub,
            SentPush("", sub.office_id, sub.handset_id, "check"),
            {"kind": "check"},
            CHECK_TTL_S,
            "normal",
        )

    async def unsubscribe(self, office_id: str, handset_id: str) -> None:
        sub = self._drop(office_id, handset_id)
        await self._store.remove(office_id, handset_id)
        if sub is not None:
            self._reach.subscribed(office_id, handset_id, sub.person_id, False)

    def subscription(self, office_id: str, handset_id: str) -> Subscription | None:
        return self._subs.get((office_id, handset_id))

    def _put(self, sub: Subscription) -> None:
        self._subs[(sub.office_id, sub.handset_id)] = sub
        self._by_person.setdefault((sub.office_id, sub.person_id), {})[sub.handset_id] = sub

    def _drop(self, office_id: str, handset_id: str) -> Subscription | None:
        sub = self._subs.pop((office_id, handset_id), None)
        if sub is not None:
            mine = self._by_person.get((office_id, sub.person_id), {})
            mine.pop(handset_id, None)
            if not mine:
                self._by_person.pop((office_id, sub.person_id), None)
        return sub

    def _of_person(self, office_id: str, person_id: str) -> list[Subscription]:
        guest = split_guest(person_id)
        if guest is not None:
            office_id, person_id = guest
        return list(self._by_person.get((office_id, person_id), {}).values())

    def has_push(self, office_id: str, person_id: str) -> bool:
        return bool(self._of_person(office_id, person_id))

    # -- messages ------------------------------------------------------------------------

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> int:
        """Push the offer to every subscribed phone of the person; returns how many."""
        subs = self._of_person(office.id, person_id)
        if not subs:
            return 0
        role = office.rolecard.role(role_id)
        location = office.locations[state.location_id]
        slot = state.slot(role_id)
        body = {
            "kind": "offer",
            "alarm_id": state.alarm_id,
            "office_name": office.name,
            "place": location.name,
            "level": state.level.value,
            "mode": state.mode.value,
            "role_id": role.id,
            "role_title": role.title,
            "leader": role.leader,
            "accept_within_s": role.accept_within_s,
            "due_at": slot.due_at.isoformat() if slot.due_at else None,
        }
        for sub in subs:
            sent = SentPush(
                "",
                sub.office_id,
                sub.handset_id,
                "offer",
                office.id,
                state.alarm_id,
                role_id,
                person_id,
            )
            self._send(sub, sent, body, OFFER_TTL_S, "high")
        return len(subs)

    def to_office(self, office_id: str, kind: str, body: dict[str, Any]) -> None:
        """A lockdown notice or an alarm close, to every subscribed phone of the office."""
        for sub in [s for s in self._subs.values() if s.office_id == office_id]:
            sent = SentPush(
                "", sub.office_id, sub.handset_id, kind, office_id, body.get("alarm_id")
            )
            self._send(sub, sent, {"kind": kind, **body}, NOTICE_TTL_S, "high")

    def test(self, office_id: str, handset_id: str, office_name: str) -> str | None:
        """A test push from the console; its id is in the receipt the phone sends."""
        sub = self._subs.get((office_id, handset_id))
        if sub is None:
            return None
        sent = SentPush("", office_id, handset_id, "test")
        return self._send(sub, sent, {"kind": "test", "office_name": office_name}, 60, "normal")

    def check_all(self) -> None:
        """The silent check: every subscribed phone is asked to confirm a push, so reachability
        stays true between alarms. Re-armed on the clock."""
        for sub in list(self._subs.values()):
            sent = SentPush("", sub.office_id, sub.handset_id, "check")
            self._send(sub, sent, {"kind": "check"}, CHECK_TTL_S, "normal")
        self.start()

    def _send(
        self, sub: Subscription, sent: SentPush, body: dict[str, Any], ttl: int, urgency: str
    ) -> str:
        push_id = secrets.token_hex(12)
        sent = replace(
            sent, push_id=push_id, started=time.perf_counter(), sent_at=self._clock.now()
        )
        self._sent[push_id] = sent
        while len(self._sent) > SENT_KEPT:
            old, _ = self._sent.popitem(last=False)
            self._received.pop(old, None)
        data = json.dumps({"v": 1, "id": push_id, **body}, separators=(",", ":")).encode()
        self._spawn(self._deliver(sub, data, ttl, urgency, sent))
        return push_id

    async def _deliver(
        self, sub: Subscription, data: bytes, ttl: int, urgency: str, sent: SentPush
    ) -> None:
        try:
            await self._sender.send(sub, data, ttl=ttl, urgency=urgency)
        except PushGone:
            log.warning("push subscription gone", handset_id=sub.handset_id)
            if self._subs.get((sub.office_id, sub.handset_id)) == sub:
                await self.unsubscribe(sub.office_id, sub.handset_id)
        except PushFailed as err:
            log.warning(
                "push not accepted", handset_id=sub.handset_id, kind=sent.kind, reason=str(err)
            )

    # -- receipts ------------------------------------------------------------------------

    async def receipt(self, office_id: str, handset_id: str, push_id: str) -> SentPush | None:
        """The phone's service worker got this push. None for an id this phone was not sent."""
        sent = self._sent.get(push_id)
        if sent is None or (sent.office_id, sent.handset_id) != (office_id, handset_id):
            return None
        now = self._clock.now()
        self._received.setdefault(push_id, now)
        self._reach.receipt(office_id, handset_id, now)
        for listener in self.listeners:
            listener(sent, now)
        await self._store.receipt(office_id, handset_id, now)
        return sent

    def sent(self, push_id: str) -> SentPush | None:
        return self._sent.get(push_id)

    def received_at(self, push_id: str) -> datetime | None:
        return self._received.get(push_id)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
