"""Outbound alerts as a signed JSON POST, retried with backoff, so a guard company or on-call
gateway hears about a role the office could not fill (docs/protocol.md, External alerts).

The body is built once per alert, so retries are byte-identical and carry the same
`Idempotency-Key`; the receiver de-duplicates. Nothing is raised to the caller: the outcome,
good or bad, is the DeliveryReport.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from app.service.notify import DeliveryReport, ExternalAlert

log = structlog.get_logger(__name__)

DOCUMENT_TYPE = "rollekort.external_alert"
DOCUMENT_VERSION = 1
SIGNATURE_HEADER = "X-Rollekort-Signature"
USER_AGENT = "rollekort-webhook/1"


def document(alert: ExternalAlert, sent_at: datetime) -> dict[str, Any]:
    """The JSON document of one alert, as documented in docs/protocol.md."""
    return {
        "type": DOCUMENT_TYPE,
        "version": DOCUMENT_VERSION,
        "alarm_id": alert.alarm_id,
        "office_id": alert.office_id,
        "office_name": alert.office_name,
        "role_id": alert.role_id,
        "role_title": alert.role_title,
        "level": alert.level,
        "mode": alert.mode,
        "location": {"name": alert.location_name, "zone": alert.zone},
        "raised_at": _zoned(alert.raised_at).isoformat(),
        "contacts": [
            {
                "id": c.id,
                "name": c.name,
                "kind": c.kind,
                "channel": c.channel,
                "address": c.address,
            }
            for c in alert.contacts
        ],
        "reason": alert.reason,
        "sent_at": _zoned(sent_at).isoformat(),
    }


def _zoned(at: datetime) -> datetime:
    """The service keeps time in UTC; a naive time is read as UTC so the document always has a
    zone, rather than refusing to send."""
    return at if at.utcoffset() is not None else at.replace(tzinfo=UTC)


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def retryable_status(status: int) -> bool:
    """A busy or broken receiver may recover; a refusal (other 4xx) will not."""
    return status == 429 or status >= 500


def retry_after_s(value: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is ignored (our backoff applies instead)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class _RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def _should_retry(exc: BaseException) -> bool:
    if isinstance(exc, httpx.UnsupportedProtocol):
        return False
    return isinstance(exc, _RetryableStatus | httpx.TransportError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _RetryableStatus):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.TransportError):
        return f"connection failed ({type(exc).__name__})"
    return f"error ({type(exc).__name__})"


class WebhookNotifier:
    """POSTs one JSON document per alert to `url`; see docs/protocol.md for the contract."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        timeout_s: float = 5.0,
        *,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 8.0,
        deadline_s: float = 20.0,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("the webhook URL must be http:// or https:// with a host")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._url = url
        self._host = parsed.host  # logged instead of the URL, which may hold a token
        self._secret = secret or None
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._deadline_s = deadline_s
        self._backoff = wait_exponential(multiplier=backoff_initial_s, max=backoff_max_s)
        self._backoff_max_s = backoff_max_s
        self._now = now or (lambda: datetime.now(UTC))

    async def notify(self, alert: ExternalAlert) -> DeliveryReport:
        body = encode(document(alert, self._now()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": alert.idempotency_key,
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = signature(self._secret, body)
        context = {"alarm_id": alert.alarm_id, "role_id": alert.role_id, "host": self._host}
        ok, reason, attempts = await self._deliver(body, headers, context)
        if ok:
            log.info("external alert delivered", attempts=attempts, **context)
            return DeliveryReport.all_delivered(alert.contacts)
        log.warning("external alert not delivered", reason=reason, attempts=attempts, **context)
        return DeliveryReport.all_failed(alert.contacts, reason)

    async def _deliver(
        self, body: bytes, headers: dict[str, str], context: dict[str, str]
    ) -> tuple[bool, str, int]:
        """POST until a final answer, the attempts run out or the deadline passes."""
        stop = stop_after_attempt(self._max_attempts) | stop_after_delay(self._deadline_s)
        attempts, status, last = 0, 0, "no answer"
        try:
            async with (
                asyncio.timeout(self._deadline_s),
                httpx.AsyncClient(timeout=self._timeout_s) as client,
            ):
                async for attempt in AsyncRetrying(
                    stop=stop,
                    wait=self._wait,
                    retry=retry_if_exception(_should_retry),
                    before_sleep=lambda state: self._log_retry(state, context),
                    reraise=True,
                ):
                    with attempt:
                        attempts += 1
                        try:
                            status = await self._post(client, body, headers)
                        except Exception as exc:
                            last = _describe(exc)
                            raise
        except TimeoutError:
            tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
            return False, f"{last} (gave up after {self._deadline_s:g} s, {tries})", attempts
        except Exception as exc:
            reason = _describe(exc)
        else:
            if 200 <= status < 300:
                return True, f"HTTP {status}", attempts
            reason = f"HTTP {status}"
        return False, reason if attempts < 2 else f"{reason} after {attempts} attempts", attempts

    async def _post(self, client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> int:
        response = await client.post(self._url, content=body, headers=headers)
        if retryable_status(response.status_code):
            raise _RetryableStatus(
                response.status_code, retry_after_s(response.headers.get("Retry-After"))
            )
        return response.status_code

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self._backoff_max_s)
        return float(self._backoff(state))

    @staticmethod
    def _log_retry(state: RetryCallState, context: dict[str, str]) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else None
        log.info(
            "external alert retrying",
            attempt=state.attempt_number,
            reason=_describe(exc) if exc is not None else "",
            wait_s=wait,
            **context,
        )
