"""Outbound notifier adapters, and the one place that picks them from the settings."""

from __future__ import annotations

from app.adapters.notify.webhook import WebhookNotifier
from app.service.notify import ExternalNotifier, FanoutNotifier, NoNotifier
from app.settings import Settings

__all__ = ["WebhookNotifier", "build_notifier"]


def build_notifier(settings: Settings) -> ExternalNotifier:
    """The webhook behind a per-channel router when a URL is set, else the honest NoNotifier.

    Contacts on a channel without an adapter (say `sms`, before there is one) are reported as
    failed, never as sent by the webhook.
    """
    if not settings.notify_webhook_url:
        return NoNotifier()
    webhook = WebhookNotifier(settings.notify_webhook_url, settings.notify_webhook_secret or None)
    return FanoutNotifier({"webhook": webhook})
