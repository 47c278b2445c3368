"""Wiring for the second channel (issue 17): reachability, Web Push and offer confirmation,
built beside the handset hub and connected to the dispatcher once it exists."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db.push import SqlAlchemySubscriptionStore
from app.adapters.push.vapid import load_or_create, public_key
from app.adapters.push.webpush import WebPushSender
from app.adapters.ws.hub import HandsetHub
from app.service.clock import Clock
from app.service.delivery import OfferTracker, ReachingNotifier
from app.service.dispatcher import Dispatcher
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.presence import Presence
from app.service.push import PushService
from app.service.reach import Reach, Reachability
from app.settings import Settings


@dataclass
class Reaching:
    reach: Reachability
    push: PushService
    tracker: OfferTracker
    notifier: ReachingNotifier
    sender: WebPushSender
    public_key: str
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def connect(
        self, dispatcher: Dispatcher, offices: OfficeDirectory, metrics: Metrics | None = None
    ) -> None:
        """Confirmations and misses go to the dispatcher's timeline (a miss is counted in
        `rollekort_offers_unconfirmed_total` too); a phone that becomes reachable by push is
        offered the open roles it could take, like an arriving socket."""
        self.tracker.on_reached = dispatcher.offer_confirmed

        async def missed(office_id: str, alarm_id: str, role_id: str, person_id: str) -> None:
            if metrics is not None:
                metrics.offers_unconfirmed.labels(office_id).inc()
            await dispatcher.offer_missed(office_id, alarm_id, role_id, person_id)

        self.tracker.on_missed = missed

        def arrived(office_id: str, person_id: str) -> None:
            coro = dispatcher.person_arrived(offices.office(office_id), person_id)
            task = asyncio.get_running_loop().create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self.reach.on_arrival = arrived

    async def close(self) -> None:
        self.reach.close()
        self.tracker.close()
        await self.push.close()
        await self.sender.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def build_reaching(
    settings: Settings, engine: AsyncEngine, presence: Presence, hub: HandsetHub, clock: Clock
) -> Reaching:
    vapid = await asyncio.to_thread(load_or_create, settings.vapid_private_key, settings.vapid_path)
    reach = Reachability(presence, clock, timedelta(seconds=settings.push_fresh_s))
    sender = WebPushSender(vapid, settings.vapid_subject)
    push = PushService(
        SqlAlchemySubscriptionStore(engine),
        sender,
        reach,
        clock,
        check_every=timedelta(seconds=settings.push_check_interval_s),
        allow_http=settings.push_insecure_endpoints,
        hosts=tuple(h.strip().lower() for h in settings.push_hosts.split(",") if h.strip()),
    )
    await push.load()
    reach.start()
    push.start()
    tracker = OfferTracker(clock, timedelta(seconds=settings.offer_confirm_s))

    def unconfirmable(office_id: str, person_id: str) -> bool:
        """A plain v1 client with a live socket (answering its pings) is trusted as before."""
        return any(
            reach.state(c.office_id, c.handset_id) is Reach.CONNECTED
            for c in hub.unconfirming(office_id, person_id)
        )

    notifier = ReachingNotifier(hub, push, tracker, unconfirmable)
    return Reaching(reach, push, tracker, notifier, sender, public_key(vapid))
