"""Rules on `mqtt:` accounts: one owner per device, known devices, no plaintext outside demos."""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.config.mqtt_access import feedback_username
from app.config.rules.base import Finding, error, format_loc, warning
from app.config.schema import DeviceSpec, Loc, MqttUserSpec, OfficeFile
from devices.families.feedback import supports_feedback

BRIDGED = frozenset({"zigbee2mqtt"})
"""Families whose devices reach the broker through one bridge connection; the others connect
each device themselves, so each needs an account (a connection's client id is its username)."""
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
    reserved = feedback_username(f.mqtt.service.username) if f.mqtt else None
    for loc, user in _users(f):
        if loc[1] == "clients" and user.username == reserved:
            yield error(
                (*loc, "username"), "reserved: the service's feedback publisher signs in with it"
            )
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
        yield from _shared_account(f, i, client.devices)


def _shared_account(f: OfficeFile, i: int, device_ids: list[str]) -> Iterator[Finding]:
    """Brokers replace a client id by the username (no login can take over another's
    session), so two devices connecting with one account would disconnect each other."""
    by_id = {d.id: d for d in f.devices}
    hosts = {_host(by_id[d]) for d in device_ids if d in by_id and by_id[d].family not in BRIDGED}
    if len(hosts) > 1:
        yield warning(
            ("mqtt", "clients", i, "devices"),
            f"{', '.join(sorted(hosts))} each connect to the broker: give each an account of its "
            "own, or the second to sign in disconnects the first (client id = username)",
        )


def _host(device: DeviceSpec) -> str:
    """The device that connects: a family address without its `#button` and `cmnd/` parts."""
    address = device.address or device.id
    return address.split("#", 1)[0].removeprefix("cmnd/")


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
