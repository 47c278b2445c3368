"""The `mqtt:` section: rights per account, the validator's refusals, and the `$7$` format."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from app.config.loader import OfficeFileError, load_office_text
from app.config.mqtt_access import (
    access_of,
    acl_file,
    check_password,
    filter_covers,
    hash_password,
    topic_matches,
)
from app.config.schema import OfficeFile
from tests.conftest import DEMO_OFFICE

# made by `mosquitto_passwd -b pw alice 's3cret æ'` (Mosquitto 2.0.11)
MOSQUITTO_HASH = (
    "$7$101$882jlU/foKlt0htT$EuZsGJMrDUD6eNZR/u1gsjacd2pDX1HNR2wO36hKzHT3lWH3eGtQiW+lJ/1oorrpX80U"
    "IwtBzS+DbWv/EztA9w=="
)


def office(
    mqtt: dict[str, Any], demo: bool = True, extra_devices: tuple[Any, ...] = ()
) -> dict[str, Any]:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["demo"] = demo
    data["devices"] += list(extra_devices)
    data["mqtt"] = mqtt
    return data


Z2M = {
    "id": "sos-1", "family": "zigbee2mqtt", "kind": "fixed", "location": "reception",
    "address": "zigbee2mqtt/Resepsjon SOS", "feedback": {"payload": {"buzzer": "short"}},
}  # fmt: skip
ACCOUNTS = {
    "service": {"username": "svc", "password": "x"},
    "clients": [
        {"username": "desk", "password": "a", "devices": ["desk-1"]},
        {"username": "z2m-host", "password": "b", "devices": ["sos-1"]},
    ],
}


def messages(data: dict[str, Any]) -> list[str]:
    with pytest.raises(OfficeFileError) as err:
        load_office_text(yaml.safe_dump(data))
    return [p.message for p in err.value.problems]


def test_mosquitto_hash_is_read_and_ours_has_its_form() -> None:
    assert check_password("s3cret æ", MOSQUITTO_HASH)
    assert not check_password("s3cret", MOSQUITTO_HASH)
    ours = hash_password("pw", salt=b"0123456789ab")
    assert ours.startswith("$7$101$MDEyMzQ1Njc4OWFi$") and check_password("pw", ours)
    assert not check_password("pw", "$6$abc$def")


def test_rights_per_account() -> None:
    accounts = access_of([OfficeFile.model_validate(office(ACCOUNTS, extra_devices=[Z2M]))])
    svc, feedback, desk, z2m = accounts
    assert desk.write == ("rollekort/v1/trigger/desk-1", "rollekort/v1/status/desk-1")
    assert desk.read == ("rollekort/v1/feedback/desk-1",)
    assert "zigbee2mqtt/Resepsjon SOS/action" in z2m.write
    assert z2m.read == ("zigbee2mqtt/Resepsjon SOS/set",)
    assert svc.may_subscribe("rollekort/v1/trigger/+") and svc.may_receive(
        "zigbee2mqtt/Resepsjon SOS"
    )
    # the service's second connection (feedback) has an account, and so a client id, of its own
    assert feedback.username == f"{svc.username}-feedback"
    assert feedback.password_hash == svc.password_hash
    assert feedback.may_publish("rollekort/v1/feedback/worn-1")
    assert feedback.may_publish("zigbee2mqtt/Resepsjon SOS/set")
    assert not feedback.may_subscribe("rollekort/v1/trigger/+")
    assert not svc.may_publish("rollekort/v1/feedback/worn-1")
    assert not desk.may_publish("rollekort/v1/trigger/worn-1")
    assert not desk.may_subscribe("rollekort/v1/feedback/+")
    assert "user z2m-host\n" in acl_file(accounts)


def test_matching() -> None:
    assert topic_matches("a/+/c", "a/b/c") and topic_matches("a/#", "a/b/c")
    assert not topic_matches("a/+", "a/b/c") and not topic_matches("#", "$SYS/x")
    assert filter_covers("a/+", "a/b") and filter_covers("a/#", "a/+/c")
    assert not filter_covers("a/+", "a/#") and not filter_covers("a/b", "a/+")


def test_validator_refuses_two_owners_unknown_device_and_plaintext() -> None:
    twice = {**ACCOUNTS, "clients": [*ACCOUNTS["clients"], {"username": "c", "password": "c",  # type: ignore[list-item]
             "devices": ["desk-1", "nope"]}]}  # fmt: skip
    found = messages(office(twice, extra_devices=[Z2M]))
    assert any("already" in m for m in found)
    assert any("unknown device 'nope'" in m for m in found)
    found = messages(office(ACCOUNTS, demo=False, extra_devices=[Z2M]))
    assert any("plaintext passwords are allowed only in demo files" in m for m in found)


def test_hashed_accounts_pass_outside_demo_and_bad_hashes_do_not() -> None:
    hashed = {
        "service": {"username": "svc", "password_hash": MOSQUITTO_HASH},
        "clients": [{"username": "desk", "password_hash": MOSQUITTO_HASH, "devices": ["desk-1"]}],
    }
    data = office(hashed, demo=False)
    for handset in data["handsets"]:  # the demo's plaintext tokens are not what is tested here
        handset["token_sha256"] = "0" * 63 + str(len(handset["id"]) % 10)
        handset.pop("token", None)
    data["api_tokens"] = []
    problems = [m for m in messages_or_none(data) if "mqtt" in m or "hash" in m]
    assert not problems
    hashed["service"]["password_hash"] = "plain"
    assert any("$7$" in m for m in messages(office(hashed)))


def messages_or_none(data: dict[str, Any]) -> list[str]:
    try:
        load_office_text(yaml.safe_dump(data))
    except OfficeFileError as err:
        return [p.message for p in err.problems]
    return []


def test_feedback_only_where_a_family_command_exists() -> None:
    esp = {"id": "esp-1", "family": "esphome", "kind": "fixed", "location": "reception",
           "address": "resepsjon-panikk#panic_button", "feedback": {"payload": "1"}}  # fmt: skip
    assert any(
        "esphome devices take no feedback" in m
        for m in messages(office(ACCOUNTS, extra_devices=[esp]))
    )


def test_the_feedback_account_name_is_reserved_and_shared_device_accounts_are_warned() -> None:
    def client(name: str, *devices: str) -> dict[str, Any]:
        return {"username": name, "password": "c", "devices": list(devices)}

    taken = {**ACCOUNTS, "clients": [client("svc-feedback", "desk-1")]}
    assert any("reserved" in m for m in messages(office(taken)))
    shared = {**ACCOUNTS, "clients": [client("both", "desk-1", "worn-1")]}
    loaded = load_office_text(yaml.safe_dump(office(shared)))
    assert any("desk-1, worn-1 each connect" in str(w) for w in loaded.warnings)
    bridged = load_office_text(yaml.safe_dump(office(ACCOUNTS, extra_devices=[Z2M])))
    assert not any("each connect" in str(w) for w in bridged.warnings)
