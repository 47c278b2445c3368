"""The pure parts of outbound alerts: the data, the reports, routing by channel, the webhook
document, its signature and which answers are worth a retry."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from structlog.testing import capture_logs

from app.adapters.notify.webhook import (
    document,
    encode,
    retry_after_s,
    retryable_status,
    signature,
)
from app.service.notify import (
    CONTACT_KINDS,
    NO_CHANNEL,
    ContactRef,
    DeliveryReport,
    ExternalAlert,
    ExternalNotifier,
    FanoutNotifier,
    NoNotifier,
)

OSLO = timezone(timedelta(hours=1))
REASON = "no one in the office accepted the role"


def contact(cid: str, channel: str = "webhook", kind: str = "guard_company") -> ContactRef:
    return ContactRef(id=cid, name=f"Contact {cid}", kind=kind, channel=channel)


def alert(*contacts: ContactRef) -> ExternalAlert:
    return ExternalAlert(
        alarm_id="a-1",
        office_id="o-1",
        office_name="NAV Test",
        role_id="guard",
        role_title="Vekter",
        level="assist",
        mode="real",
        location_name="Skranke 1",
        zone="resepsjon",
        raised_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=OSLO),
        contacts=contacts,
        reason=REASON,
    )


class Recording:
    """A channel that keeps what it was asked to send and answers as told."""

    def __init__(self, fail: str | None = None, raises: bool = False) -> None:
        self.sent: list[ExternalAlert] = []
        self.fail = fail
        self.raises = raises

    async def notify(self, alert: ExternalAlert) -> DeliveryReport:
        self.sent.append(alert)
        if self.raises:
            raise RuntimeError("boom")
        if self.fail is not None:
            return DeliveryReport.all_failed(alert.contacts, self.fail)
        return DeliveryReport.all_delivered(alert.contacts)


class Sloppy:
    """A channel that reports a contact it was not given, twice, and forgets the others."""

    async def notify(self, alert: ExternalAlert) -> DeliveryReport:
        return DeliveryReport(delivered=("stranger", "stranger"), failed=(("stranger", "x"),))


# -- data ---------------------------------------------------------------------------------------


def test_contact_defaults_to_the_webhook_channel() -> None:
    c = ContactRef("securitas", "Securitas", "guard_company")
    assert (c.channel, c.address) == ("webhook", None)


@pytest.mark.parametrize("kind", ["guard_company", "agency", "on_call", "police", "neighbour"])
def test_contact_kinds(kind: str) -> None:
    assert ContactRef("x", "X", kind).kind == kind


def test_an_odd_kind_is_still_an_alert_not_an_error() -> None:
    # Refusing to build the alert would drop the call for help; receivers see the kind as is.
    assert ContactRef("x", "X", "fire_brigade").kind == "fire_brigade"
    assert "fire_brigade" not in CONTACT_KINDS


def test_a_naive_time_is_read_as_utc_in_the_document() -> None:
    naive = replace(alert(), raised_at=datetime(2026, 1, 2, 3, 4, 5))
    doc = document(naive, datetime(2026, 1, 2, 3, 5))
    assert doc["raised_at"] == "2026-01-02T03:04:05+00:00"
    assert doc["sent_at"] == "2026-01-02T03:05:00+00:00"


def test_idempotency_key_is_alarm_and_role() -> None:
    assert alert().idempotency_key == "a-1:guard"


def test_report_merge_and_ok() -> None:
    a = DeliveryReport(delivered=("x",))
    b = DeliveryReport(failed=(("y", "HTTP 400"),))
    merged = DeliveryReport.merge([a, b])
    assert merged == DeliveryReport(("x",), (("y", "HTTP 400"),))
    assert a.ok and not merged.ok


# -- NoNotifier ---------------------------------------------------------------------------------


async def test_no_notifier_fails_every_contact_and_warns() -> None:
    notifier: ExternalNotifier = NoNotifier()
    with capture_logs() as logs:
        report = await notifier.notify(alert(contact("a"), contact("b", kind="police")))
    assert report == DeliveryReport((), (("a", NO_CHANNEL), ("b", NO_CHANNEL)))
    assert NO_CHANNEL == "no channel configured"
    [entry] = logs
    assert entry["log_level"] == "warning"
    assert "no channel configured" in entry["event"]
    assert entry["contacts"] == ["a", "b"]


# -- FanoutNotifier -----------------------------------------------------------------------------


async def test_fanout_sends_each_channel_only_its_contacts() -> None:
    hook, sms = Recording(), Recording(fail="HTTP 500")
    fan = FanoutNotifier({"webhook": hook, "sms": sms})
    report = await fan.notify(
        alert(contact("a"), contact("b", channel="sms"), contact("c"), contact("d", "voice"))
    )
    assert [c.id for c in hook.sent[0].contacts] == ["a", "c"]
    assert [c.id for c in sms.sent[0].contacts] == ["b"]
    assert hook.sent[0].role_id == "guard"  # everything else is the same alert
    assert report.delivered == ("a", "c")
    assert report.failed == (("b", "HTTP 500"), ("d", "no adapter for channel 'voice'"))


async def test_fanout_calls_no_channel_without_contacts() -> None:
    hook, sms = Recording(), Recording()
    report = await FanoutNotifier({"webhook": hook, "sms": sms}).notify(alert(contact("a")))
    assert len(hook.sent) == 1 and sms.sent == []
    assert report == DeliveryReport(("a",))


async def test_fanout_turns_a_raising_channel_into_failures() -> None:
    fan = FanoutNotifier({"webhook": Recording(raises=True), "sms": Recording()})
    report = await fan.notify(alert(contact("a"), contact("b", channel="sms")))
    assert report.delivered == ("b",)
    assert report.failed == (("a", "webhook adapter error: RuntimeError"),)


async def test_fanout_accounts_for_every_contact_exactly_once() -> None:
    report = await FanoutNotifier({"webhook": Sloppy()}).notify(alert(contact("a"), contact("b")))
    assert report == DeliveryReport(
        (), (("a", "webhook adapter did not report"), ("b", "webhook adapter did not report"))
    )


async def test_fanout_with_no_contacts_reports_nothing() -> None:
    assert await FanoutNotifier({"webhook": Recording()}).notify(alert()) == DeliveryReport()


# -- the webhook document -----------------------------------------------------------------------


def test_document_shape_and_encoding() -> None:
    sent_at = datetime(2026, 1, 2, 2, 5, tzinfo=UTC)
    c = ContactRef("vakt", "Leder på vakt", "on_call", channel="webhook", address="+4790000000")
    doc = document(alert(c), sent_at)
    assert doc["type"] == "rollekort.external_alert"
    assert doc["version"] == 1
    assert doc["location"] == {"name": "Skranke 1", "zone": "resepsjon"}
    assert doc["raised_at"] == "2026-01-02T03:04:05+01:00"
    assert doc["sent_at"] == "2026-01-02T02:05:00+00:00"
    assert doc["contacts"] == [
        {
            "id": "vakt",
            "name": "Leder på vakt",
            "kind": "on_call",
            "channel": "webhook",
            "address": "+4790000000",
        }
    ]
    assert set(doc) == {
        "type", "version", "alarm_id", "office_id", "office_name", "role_id", "role_title",
        "level", "mode", "location", "raised_at", "contacts", "reason", "sent_at",
    }  # fmt: skip
    body = encode(doc)
    assert "Leder på vakt".encode() in body  # UTF-8, not \\u escapes
    assert json.loads(body) == doc


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert signature("k", body) == f"sha256={expected}"
    assert signature("k", body + b" ") != signature("k", body)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_busy_or_broken_receivers_are_retried(status: int) -> None:
    assert retryable_status(status)


@pytest.mark.parametrize("status", [200, 204, 301, 400, 401, 403, 404, 409, 422])
def test_other_answers_are_final(status: int) -> None:
    assert not retryable_status(status)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("3", 3.0), (" 0 ", 0.0), ("-1", None), ("Wed, 21 Oct 2015 07:28:00 GMT", None)],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after_s(header) == seconds
