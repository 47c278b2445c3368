"""Rules on `mqtt:` accounts: one owner per device, known devices, no plaintext outside demos."""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.config.rules.base import Finding, error, format_loc
from app.config.schema import Loc, MqttUserSpec, OfficeFile
from devices.families.feedback import supports_feedback

USERNAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
"""Fits a Mosquitto password file (no `:`) and an ACL `user` line (no spaces)."""


def _users(f: OfficeFile) -> Iterator[tuple[Loc, MqttUserSpec]]:
    if f.mqtt is None:
        return
    yield ("mqtt", "service"), f.mqtt.service
    for i, client in enumerate(f.mqtt.clients):
        yield ("mqtt", "clients", i), client


def rule_mqtt_accounts(f: OfficeFile) -> Iterator[Finding]:
    """Each account: a usable username, exactly one of password/password_hash, plaintext only
    in demo files, and no username twice."""
    seen: dict[str, Loc] = {}
    for loc, user in _users(f):
        if not USERNAME.fullmatch(user.username):
            yield error((*loc, "username"), "use 1 to 64 of A-Z a-z 0-9 _ . @ - (no spaces)")
        if user.username in seen:
            yield error((*loc, "username"), f"same username as {format_loc(seen[user.username])}")
        seen.setdefault(user.username, loc)
        if (user.password is None) == (user.password_hash is None):
            yield error(loc, "give exactly one of `password_hash` or `password` (demo files only)")
        if user.password is not None and not f.demo:
            yield error(
                (*loc, "password"),
                "plaintext passwords are allowed only in demo files (demo: true); store "
                "`password_hash` instead (mosquitto_passwd, or `rollekort mqtt acl` on a demo)",
            )


def rule_mqtt_devices(f: OfficeFile) -> Iterator[Finding]:
    """A client publishes only for devices of this office, and no device has two clients (two
    accounts able to raise its alarm would make the ACL no proof of who pressed)."""
    known = {d.id for d in f.devices}
    owner: dict[str, Loc] = {}
    for i, client in enumerate(f.mqtt.clients if f.mqtt else []):
        for j, device_id in enumerate(client.devices):
            loc: Loc = ("mqtt", "clients", i, "devices", j)
            if device_id not in known:
                yield error(loc, f"unknown device {device_id!r}: not in this office's devices")
            elif device_id in owner:
                yield error(loc, f"device {device_id!r} is already {format_loc(owner[device_id])}")
            owner.setdefault(device_id, loc)


def rule_device_feedback(f: OfficeFile) -> Iterator[Finding]:
    """`feedback:` only where a family command exists (native devices have their own topic)."""
    for i, device in enumerate(f.devices):
        if device.feedback is not None and not supports_feedback(device.family):
            yield error(
                ("devices", i, "feedback"),
                f"{device.family} devices take no feedback command here"
                + (": they read rollekort/v1/feedback/<id>" if device.family == "native" else ""),
            )


def rule_mqtt(f: OfficeFile) -> Iterator[Finding]:
    """The MQTT rules above, as one entry of RULES."""
    yield from rule_mqtt_accounts(f)
    yield from rule_mqtt_devices(f)
    yield from rule_device_feedback(f)
