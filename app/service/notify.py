"""The outbound-notifier port: how an unfilled role reaches people outside the office.

Pure data plus two adapters-of-adapters: `NoNotifier` (nothing configured, said out loud) and
`FanoutNotifier` (routes each contact by its channel, so SMS or voice can be added beside the
webhook without the dispatcher changing). An alert carries no personal data about clients and no
free text from handsets: only ids, names and titles from the office file, and a fixed reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

# The kinds receivers know. Not enforced here: an alert with an odd kind still goes out, since
# refusing to build it would drop the call for help.
CONTACT_KINDS = frozenset({"guard_company", "agency", "on_call", "police", "neighbour"})

NO_CHANNEL = "no channel configured"


@dataclass(frozen=True)
class ContactRef:
    """Someone outside the office who can be called in; `address` is a phone number or URL.

    `kind` is one of CONTACT_KINDS; `channel` picks the adapter (FanoutNotifier).
    """

    id: str
    name: str
    kind: str
    channel: str = "webhook"
    address: str | None = None


@dataclass(frozen=True)
class ExternalAlert:
    """One role of one alarm that the office could not fill, and whom to call about it.

    `reason` is a fixed text chosen by the service, never text typed on a handset.
    """

    alarm_id: str
    office_id: str
    office_name: str
    role_id: str
    role_title: str
    level: str
    mode: str
    location_name: str
    zone: str
    raised_at: datetime
    contacts: tuple[ContactRef, ...]
    reason: str

    @property
    def idempotency_key(self) -> str:
        """The same alarm and role is the same alert, however often it is sent."""
        return f"{self.alarm_id}:{self.role_id}"


@dataclass(frozen=True)
class DeliveryReport:
    """Which contacts were reached and which were not (contact id, reason): for the timeline."""

    delivered: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()

    @classmethod
    def all_failed(cls, contacts: Iterable[ContactRef], reason: str) -> DeliveryReport:
        return cls(failed=tuple((c.id, reason) for c in contacts))

    @classmethod
    def all_delivered(cls, contacts: Iterable[ContactRef]) -> DeliveryReport:
        return cls(delivered=tuple(c.id for c in contacts))

    @classmethod
    def merge(cls, reports: Iterable[DeliveryReport]) -> DeliveryReport:
        delivered: list[str] = []
        failed: list[tuple[str, str]] = []
        for report in reports:
            delivered.extend(report.delivered)
            failed.extend(report.failed)
        return cls(tuple(delivered), tuple(failed))

    @property
    def ok(self) -> bool:
        return not self.failed


class ExternalNotifier(Protocol):
    """Sends an alert to its contacts. Never raises: every failure is in the report."""

    async def notify(self, alert: ExternalAlert) -> DeliveryReport: ...


class NoNotifier:
    """No outbound channel is configured: every contact fails, visibly, instead of silently."""

    async def notify(self, alert: ExternalAlert) -> DeliveryReport:
        log.warning(
            "external alert not sent: no channel configured",
            alarm_id=alert.alarm_id,
            role_id=alert.role_id,
            contacts=[c.id for c in alert.contacts],
        )
        return DeliveryReport.all_failed(alert.contacts, NO_CHANNEL)


class FanoutNotifier:
    """Routes each contact to the adapter of its channel, all channels at once, one report back."""

    def __init__(self, channels: Mapping[str, ExternalNotifier]) -> None:
        self._channels = dict(channels)

    async def notify(self, alert: ExternalAlert) -> DeliveryReport:
        by_channel: dict[str, list[ContactRef]] = {}
        for contact in alert.contacts:
            by_channel.setdefault(contact.channel, []).append(contact)
        reports = await asyncio.gather(
            *(self._send(alert, channel, tuple(cs)) for channel, cs in by_channel.items())
        )
        return DeliveryReport.merge(reports)

    async def _send(
        self, alert: ExternalAlert, channel: str, contacts: tuple[ContactRef, ...]
    ) -> DeliveryReport:
        adapter = self._channels.get(channel)
        if adapter is None:
            log.warning(
                "external alert not sent: no adapter for channel",
                alarm_id=alert.alarm_id,
                role_id=alert.role_id,
                channel=channel,
            )
            return DeliveryReport.all_failed(contacts, f"no adapter for channel {channel!r}")
        try:
            report = await adapter.notify(replace(alert, contacts=contacts))
        except Exception as exc:  # the port says never raise; a broken adapter must not either
            log.exception("notifier raised", alarm_id=alert.alarm_id, channel=channel)
            return DeliveryReport.all_failed(
                contacts, f"{channel} adapter error: {type(exc).__name__}"
            )
        return _accounted(report, contacts, channel)


def _accounted(
    report: DeliveryReport, contacts: tuple[ContactRef, ...], channel: str
) -> DeliveryReport:
    """Every contact routed to a channel is in its report exactly once, and no other contact."""
    ids = {c.id for c in contacts}
    delivered = dict.fromkeys(i for i in report.delivered if i in ids)
    failed: dict[str, str] = {}
    for contact_id, reason in report.failed:
        if contact_id in ids and contact_id not in delivered:
            failed.setdefault(contact_id, reason)
    for contact in contacts:
        if contact.id not in delivered:
            failed.setdefault(contact.id, f"{channel} adapter did not report")
    return DeliveryReport(tuple(delivered), tuple(failed.items()))
