"""Who may publish what on the broker, computed from the office files' `mqtt:` sections.

Why: a forged press is a false alarm, and a forged status can hide a dead button. Each device or
bridge gets an account that may publish only its own devices' topics (and read only their
feedback and command topics); only the service reads every device topic and writes feedback.
The same rights become a Mosquitto password file and ACL (`rollekort mqtt acl`) and the
embedded broker's checks, so both brokers enforce one rule.

An account is also a client id: both brokers replace the client id a client connects with by
its username (Mosquitto's `use_username_as_clientid`), so one device's login can never take
over, or wipe the persistent session of, the service or another device (issue 12, hole 1).
So each connection needs an account of its own: the service's feedback publisher signs in as
`<service>-feedback` (same password, generated here), devices one account per connection.

Pure apart from `os.urandom` for a new salt: no files, no network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.config.schema import DeviceSpec, MqttUserSpec, OfficeFile
from devices import topics
from devices.catalogue import device_topics
from devices.families.feedback import FeedbackCommand, command_topic

FEEDBACK_SUFFIX = "-feedback"
"""The service's second connection (app.adapters.mqtt.publisher) signs in as its account + this."""
ITERATIONS = 101
"""mosquitto_passwd's default for `$7$` (PBKDF2-SHA512) hashes."""
SALT_BYTES = 12
HASH_BYTES = 64


@dataclass(frozen=True)
class MqttUser:
    """One account: its password check (a `$7$` hash) and the topic filters it may use."""

    username: str
    password_hash: str
    write: tuple[str, ...]
    read: tuple[str, ...]

    def may_publish(self, topic: str) -> bool:
        return any(topic_matches(f, topic) for f in self.write)

    def may_receive(self, topic: str) -> bool:
        return any(topic_matches(f, topic) for f in self.read)

    def may_subscribe(self, topic_filter: str) -> bool:
        return any(filter_covers(f, topic_filter) for f in self.read)


# --- passwords ---------------------------------------------------------------------------------


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """A Mosquitto `$7$<iterations>$<base64 salt>$<base64 hash>` hash, as mosquitto_passwd."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, HASH_BYTES)
    return f"$7${iterations}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, password_hash: str) -> bool:
    """True when `password` matches a `$7$` hash (constant time); False for any other form."""
    parts = password_hash.split("$")
    if len(parts) != 5 or parts[:2] != ["", "7"] or not parts[2].isdigit():
        return False
    try:
        salt, want = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(parts[2]), len(want))
    return hmac.compare_digest(got, want)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- topics ------------------------------------------------------------------------------------


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching (`+` one level, `#` the rest); `$` topics never match wildcards."""
    want, got = topic_filter.split("/"), topic.split("/")
    if topic.startswith("$") and want[0] in ("+", "#"):
        return False
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(got) or level not in ("+", got[i]):
            return False
    return len(want) == len(got)


def filter_covers(allowed: str, requested: str) -> bool:
    """Whether every topic `requested` (a subscription filter) can match is matched by
    `allowed`: a subscription is granted only when it cannot reach a forbidden topic."""
    want, got = allowed.split("/"), requested.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(got) or got[i] == "#" or (level != "+" and (level != got[i])):
            return False
    return len(want) == len(got)


def device_rights(device: DeviceSpec) -> tuple[list[str], list[str]]:
    """(publish, read) topic filters of one device: native topics, or its family's topics."""
    if device.family == "native":
        return (
            [topics.trigger_topic(device.id), topics.status_topic(device.id)],
            [topics.feedback_topic(device.id)],
        )
    address = device.address or device.id
    publish = device_topics(device.family, address, device.full_topic)
    read: list[str] = []
    if device.feedback is not None:
        spec = device.feedback
        command = FeedbackCommand(spec.topic_suffix, spec.payload, tuple(spec.states))
        topic = command_topic(device.family, address, command, device.full_topic)
        read += [topic] if topic is not None else []
    return publish, read


def feedback_username(service_username: str) -> str:
    """The account the service's feedback publisher signs in with (the service's password)."""
    return f"{service_username}{FEEDBACK_SUFFIX}"


def configured(files: Iterable[OfficeFile]) -> bool:
    """Whether any office has an `mqtt:` section (otherwise the broker stays as it was)."""
    return any(f.mqtt is not None for f in files)


def access_of(files: Sequence[OfficeFile], salt: bytes | None = None) -> list[MqttUser]:
    """Every account of the offices, the service's first (its ingest, which reads every device
    topic, then its feedback publisher, which writes feedback); empty when none has `mqtt:`.
    Demo plaintext passwords are hashed here. ValueError when offices disagree on the service
    account or give one username twice."""
    specs = [f.mqtt for f in files if f.mqtt is not None]
    if not specs:
        return []
    if len({m.service.username for m in specs}) != 1:
        raise ValueError("every office's mqtt.service must name the same service account")
    service_name = specs[0].service.username
    feedback_name = feedback_username(service_name)
    service_hash = _hash_of(specs[0].service, salt)
    service_read = set(topics.INGEST_FILTERS)
    service_write = {topics.FEEDBACK_FILTER}
    clients: dict[str, MqttUser] = {}
    for f in files:
        devices = {d.id: d for d in f.devices}
        for d in devices.values():
            publish, read = device_rights(d)
            if d.family != "native":
                service_read.update(publish)
                service_write.update(read)
        for client in f.mqtt.clients if f.mqtt else []:
            if client.username in clients or client.username in (service_name, feedback_name):
                raise ValueError(f"MQTT username {client.username!r} is given twice")
            write, read = [], []
            for device_id in client.devices:
                if device_id in devices:
                    w, r = device_rights(devices[device_id])
                    write += w
                    read += r
            clients[client.username] = MqttUser(
                client.username, _hash_of(client, salt), _unique(write), _unique(read)
            )
    service = MqttUser(service_name, service_hash, (), tuple(sorted(service_read)))
    feedback = MqttUser(feedback_name, service_hash, tuple(sorted(service_write)), ())
    return [service, feedback, *clients.values()]


def _hash_of(user: MqttUserSpec, salt: bytes | None) -> str:
    if user.password_hash is not None:
        return user.password_hash
    return hash_password(user.password or "", salt)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --- Mosquitto files ---------------------------------------------------------------------------


def password_file(users: Iterable[MqttUser]) -> str:
    """Mosquitto's `password_file`: `username:hash` lines."""
    return "".join(f"{u.username}:{u.password_hash}\n" for u in users)


def acl_file(users: Iterable[MqttUser]) -> str:
    """Mosquitto's `acl_file`: a `user` block per account; anything not listed is denied."""
    out = ["# Generated by `rollekort mqtt acl` from the office files; do not edit.\n"]
    for u in users:
        out.append(f"\nuser {u.username}\n")
        out += [f"topic write {t}\n" for t in u.write]
        out += [f"topic read {t}\n" for t in u.read]
    return "".join(out)
