"""The webhook notifier against a real HTTP receiver on loopback (uvicorn + Starlette): the
document and headers as documented, retries that end in delivery, refusals that end at once,
and an absent receiver reported as a failure within a bounded time, never raised."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypedDict

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.adapters.notify import WebhookNotifier, build_notifier
from app.service.notify import (
    NO_CHANNEL,
    ContactRef,
    DeliveryReport,
    ExternalAlert,
    FanoutNotifier,
)
from app.settings import Settings
from tests.conftest import free_port

SECRET = "s3cret-for-tests"
OSLO = timezone(timedelta(hours=1))
REASON = "no one in the office accepted the role"


class Backoff(TypedDict):
    backoff_initial_s: float
    backoff_max_s: float


FAST = Backoff(backoff_initial_s=0.01, backoff_max_s=0.05)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver that answers with the scripted statuses, then 200, and keeps it all."""

    statuses: list[int] = field(default_factory=list)
    extra_headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received({k.lower(): v for k, v in request.headers.items()}, body))
        status = self.statuses.pop(0) if self.statuses else 200
        return JSONResponse({"status": status}, status_code=status, headers=self.extra_headers)

    @property
    def attempts(self) -> int:
        return len(self.received)

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.received]


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        receiver.url = f"http://127.0.0.1:{port}/hook"
        yield receiver
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def contact(cid: str, channel: str = "webhook", kind: str = "guard_company") -> ContactRef:
    return ContactRef(id=cid, name=f"Contact {cid}", kind=kind, channel=channel, address=None)


def alert(*contacts: ContactRef) -> ExternalAlert:
    return ExternalAlert(
        alarm_id="a-3f9c2b7e1d4a5c6b0e12",
        office_id="nav-grunerlokka",
        office_name="NAV Grünerløkka",
        role_id="guard",
        role_title="Vekter til resepsjonen",
        level="acute",
        mode="real",
        location_name="Skranke 1",
        zone="resepsjon",
        raised_at=datetime(2026, 11, 26, 9, 14, 3, 120000, tzinfo=OSLO),
        contacts=contacts or (contact("securitas"),),
        reason=REASON,
    )


async def test_delivers_the_documented_document_signed_and_keyed() -> None:
    sent_at = datetime(2026, 11, 26, 8, 15, tzinfo=UTC)
    guard = ContactRef("securitas", "Securitas Oslo", "guard_company", address="+4722000000")
    on_call = ContactRef("vakt", "Kontorleder på vakt", "on_call", address="https://x.example/h")
    async with receiving(Receiver()) as rx:
        notifier = WebhookNotifier(rx.url, SECRET, now=lambda: sent_at)
        report = await notifier.notify(alert(guard, on_call))

    assert report == DeliveryReport(delivered=("securitas", "vakt"), failed=())
    assert rx.attempts == 1
    got = rx.received[0]
    assert json.loads(got.body) == {
        "type": "rollekort.external_alert",
        "version": 1,
        "alarm_id": "a-3f9c2b7e1d4a5c6b0e12",
        "office_id": "nav-grunerlokka",
        "office_name": "NAV Grünerløkka",
        "role_id": "guard",
        "role_title": "Vekter til resepsjonen",
        "level": "acute",
        "mode": "real",
        "location": {"name": "Skranke 1", "zone": "resepsjon"},
        "raised_at": "2026-11-26T09:14:03.120000+01:00",
        "contacts": [
            {
                "id": "securitas",
                "name": "Securitas Oslo",
                "kind": "guard_company",
                "channel": "webhook",
                "address": "+4722000000",
            },
            {
                "id": "vakt",
                "name": "Kontorleder på vakt",
                "kind": "on_call",
                "channel": "webhook",
                "address": "https://x.example/h",
            },
        ],
        "reason": "no one in the office accepted the role",
        "sent_at": "2026-11-26T08:15:00+00:00",
    }
    assert got.headers["content-type"] == "application/json"
    assert got.headers["idempotency-key"] == "a-3f9c2b7e1d4a5c6b0e12:guard"
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-rollekort-signature"], f"sha256={expected}")
    wrong = hmac.new(b"another secret", got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-rollekort-signature"] != f"sha256={wrong}"


async def test_no_signature_header_without_a_secret() -> None:
    async with receiving(Receiver()) as rx:
        report = await WebhookNotifier(rx.url, None).notify(alert())
    assert report.ok
    assert "x-rollekort-signature" not in rx.received[0].headers
    assert rx.received[0].headers["idempotency-key"] == "a-3f9c2b7e1d4a5c6b0e12:guard"


async def test_retries_after_503_then_delivers_the_same_bytes() -> None:
    async with receiving(Receiver(statuses=[503, 503])) as rx:
        report = await WebhookNotifier(rx.url, SECRET, **FAST).notify(alert())
    assert report == DeliveryReport(delivered=("securitas",))
    assert rx.attempts == 3
    assert len({r.body for r in rx.received}) == 1, "a retry is byte-identical"
    assert len({r.headers["idempotency-key"] for r in rx.received}) == 1
    assert len({r.headers["x-rollekort-signature"] for r in rx.received}) == 1


async def test_429_is_retried_and_retry_after_is_honoured() -> None:
    # Our own backoff would wait 30 s; the receiver's Retry-After: 0 makes it immediate.
    rx_spec = Receiver(statuses=[429], extra_headers={"Retry-After": "0"})
    async with receiving(rx_spec) as rx:
        notifier = WebhookNotifier(rx.url, None, backoff_initial_s=30, backoff_max_s=30)
        started = time.monotonic()
        report = await notifier.notify(alert())
    assert report.ok
    assert rx.attempts == 2
    assert time.monotonic() - started < 5


async def test_400_is_a_permanent_failure_after_one_attempt() -> None:
    async with receiving(Receiver(statuses=[400])) as rx:
        report = await WebhookNotifier(rx.url, SECRET, **FAST).notify(alert())
    assert rx.attempts == 1
    assert report == DeliveryReport(delivered=(), failed=(("securitas", "HTTP 400"),))


async def test_persistent_5xx_stops_after_max_attempts() -> None:
    async with receiving(Receiver(statuses=[500] * 10)) as rx:
        report = await WebhookNotifier(rx.url, None, max_attempts=4, **FAST).notify(alert())
    assert rx.attempts == 4
    assert report.failed == (("securitas", "HTTP 500 after 4 attempts"),)


async def test_gives_up_at_the_deadline() -> None:
    async with receiving(Receiver(statuses=[503] * 1000)) as rx:
        notifier = WebhookNotifier(
            rx.url, None, max_attempts=1000, backoff_initial_s=0.05, backoff_max_s=0.05,
            deadline_s=0.5,
        )  # fmt: skip
        started = time.monotonic()
        report = await notifier.notify(alert())
        elapsed = time.monotonic() - started
    assert 1 < rx.attempts < 1000
    assert elapsed < 5  # the deadline stops it; the margin absorbs a loaded machine
    assert not report.delivered
    [(cid, reason)] = report.failed
    assert cid == "securitas"
    assert "HTTP 503" in reason


async def test_connection_refused_is_reported_not_raised_within_bounded_time() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens there
    notifier = WebhookNotifier(url, SECRET, timeout_s=1.0, max_attempts=3, **FAST)
    started = time.monotonic()
    report = await notifier.notify(alert(contact("securitas"), contact("vakt", kind="on_call")))
    assert time.monotonic() - started < 3
    assert report.delivered == ()
    assert report.failed == (
        ("securitas", "connection failed (ConnectError) after 3 attempts"),
        ("vakt", "connection failed (ConnectError) after 3 attempts"),
    )


async def test_a_receiver_slower_than_the_timeout_is_a_failure() -> None:
    release = asyncio.Event()

    class Slow(Receiver):
        async def hook(self, request: Request) -> Response:
            self.received.append(Received(dict(request.headers), await request.body()))
            await release.wait()
            return Response(status_code=200)

    async with receiving(Slow()) as rx:
        notifier = WebhookNotifier(rx.url, None, timeout_s=0.2, max_attempts=2, **FAST)
        report = await notifier.notify(alert())
        release.set()
    assert rx.attempts == 2
    assert report.failed == (("securitas", "timeout (ReadTimeout) after 2 attempts"),)


async def test_the_deadline_bounds_even_a_receiver_that_never_answers() -> None:
    release = asyncio.Event()

    class Hanging(Receiver):
        async def hook(self, request: Request) -> Response:
            self.received.append(Received(dict(request.headers), await request.body()))
            await release.wait()
            return Response(status_code=200)

    async with receiving(Hanging()) as rx:
        notifier = WebhookNotifier(rx.url, None, timeout_s=30, deadline_s=0.3, **FAST)
        started = time.monotonic()
        report = await notifier.notify(alert())
        elapsed = time.monotonic() - started
        release.set()
    assert elapsed < 1.5
    assert rx.attempts == 1
    assert report.failed == (("securitas", "no answer (gave up after 0.3 s, 1 attempt)"),)


async def test_fanout_routes_each_contact_to_its_channel() -> None:
    async with receiving(Receiver()) as hook_rx, receiving(Receiver()) as sms_rx:
        notifier = FanoutNotifier(
            {
                "webhook": WebhookNotifier(hook_rx.url, SECRET, **FAST),
                # a stand-in for a future SMS adapter: any ExternalNotifier fits the port
                "sms": WebhookNotifier(sms_rx.url, None, **FAST),
            }
        )
        report = await notifier.notify(
            alert(
                contact("securitas"),
                contact("vakt", channel="sms", kind="on_call"),
                contact("politi", channel="voice", kind="police"),
                contact("nabo", channel="sms", kind="neighbour"),
            )
        )

    [hook_doc] = hook_rx.documents()
    [sms_doc] = sms_rx.documents()
    assert [c["id"] for c in hook_doc["contacts"]] == ["securitas"]
    assert [c["id"] for c in sms_doc["contacts"]] == ["vakt", "nabo"]
    assert set(report.delivered) == {"securitas", "vakt", "nabo"}
    assert report.failed == (("politi", "no adapter for channel 'voice'"),)


async def test_build_notifier_uses_the_webhook_when_a_url_is_set() -> None:
    async with receiving(Receiver()) as rx:
        settings = Settings(notify_webhook_url=rx.url, notify_webhook_secret=SECRET)
        report = await build_notifier(settings).notify(
            alert(contact("securitas"), contact("vakt", channel="sms", kind="on_call"))
        )
    assert report.delivered == ("securitas",)
    assert report.failed == (("vakt", "no adapter for channel 'sms'"),)
    body = rx.received[0].body
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert rx.received[0].headers["x-rollekort-signature"] == f"sha256={expected}"


async def test_build_notifier_without_a_url_sends_nothing_and_says_so() -> None:
    report = await build_notifier(Settings()).notify(alert())
    assert report == DeliveryReport(delivered=(), failed=(("securitas", NO_CHANNEL),))


def test_the_secret_is_not_in_the_settings_repr() -> None:
    settings = Settings(notify_webhook_url="https://hooks.example/x", notify_webhook_secret=SECRET)
    assert SECRET not in repr(settings)


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "not a url", "http://"])
def test_a_bad_url_is_refused_at_start_up(url: str) -> None:
    with pytest.raises(ValueError):
        WebhookNotifier(url, None)
