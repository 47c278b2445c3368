"""What a handset may give as its push subscription: the service POSTs to it, so only https on a
known push service (a leaked handset token must not aim the service at the office network), and
keys the encryption can use; the VAPID key is generated once and kept."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from app.adapters.push.vapid import load_or_create, public_key
from app.service.push import PUSH_HOSTS, BadSubscription, Subscription, check_subscription
from app.settings import Settings


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


POINT = b64u(b"\x04" + os.urandom(64))
AUTH = b64u(os.urandom(16))


def sub(endpoint: str, p256dh: str = POINT, auth: str = AUTH) -> Subscription:
    return Subscription("o1", "hs-1", "lise", endpoint, p256dh, auth)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx",
        "https://db5p.notify.windows.com/w/?token=abc",
    ],
)
def test_the_browser_vendors_push_services_are_accepted(endpoint: str) -> None:
    check_subscription(sub(endpoint), allow_http=False, hosts=PUSH_HOSTS)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://10.0.0.5/admin",  # the office network
        "https://fcm.googleapis.com.evil.example/x",  # a look-alike
        "https://evilfcm.googleapis.com.example/x",
        "file:///etc/passwd",
    ],
)
def test_anything_else_is_refused(endpoint: str) -> None:
    with pytest.raises(BadSubscription):
        check_subscription(sub(endpoint), allow_http=False, hosts=PUSH_HOSTS)


def test_a_local_push_service_is_allowed_only_when_asked_for() -> None:
    check_subscription(sub("http://127.0.0.1:5000/push/1"), allow_http=True, hosts=PUSH_HOSTS)
    with pytest.raises(BadSubscription):
        check_subscription(sub("ftp://127.0.0.1/x"), allow_http=True, hosts=PUSH_HOSTS)


@pytest.mark.parametrize(
    ("p256dh", "auth"),
    [(b64u(b"\x04" + os.urandom(10)), AUTH), (POINT, b64u(os.urandom(5))), ("!!", AUTH)],
    ids=["a point too short", "an auth secret too short", "not base64url"],
)
def test_keys_the_encryption_cannot_use_are_refused(p256dh: str, auth: str) -> None:
    with pytest.raises(BadSubscription):
        check_subscription(
            sub("https://fcm.googleapis.com/x", p256dh, auth), allow_http=False, hosts=PUSH_HOSTS
        )


def test_the_vapid_key_is_generated_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / "rollekort-vapid.pem"
    first = public_key(load_or_create(None, path))
    assert path.stat().st_mode & 0o077 == 0  # readable by the service's user only
    assert public_key(load_or_create(None, path)) == first  # subscriptions stay valid
    raw = base64.urlsafe_b64decode(first + "=")
    assert len(raw) == 65 and raw[0] == 4
    configured = load_or_create(path.read_text(), tmp_path / "unused.pem")
    assert public_key(configured) == first and not (tmp_path / "unused.pem").exists()


def test_an_in_memory_database_gets_a_key_for_this_run_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(db="sqlite+aiosqlite:///:memory:")
    assert settings.vapid_path is None
    assert public_key(load_or_create(None, settings.vapid_path))
    assert list(tmp_path.iterdir()) == []  # nothing written into the working folder
    on_disk = Settings(db=f"sqlite+aiosqlite:///{tmp_path}/data/rollekort.db")
    assert on_disk.vapid_path == tmp_path / "data" / "rollekort-vapid.pem"
