"""The invariants a proof run checks, as pure functions of what it recorded.

I1 every acknowledged press is on exactly one timeline, once; I2 every handset connected through
an alarm got each offer made to its person; I3 every alarm's hash chain verifies; I4 no alarm
frame crossed an office boundary; I5 every alarm could be closed (all-clear or cancel).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.repeats import parse_seqs
from simulator.prove.clients import HandsetLog, Press

PRESS_EVENTS = ("PressReceived", "PressRepeated")
EXAMPLES = 5


@dataclass
class AlarmRecord:
    """One alarm as the service's API tells it."""

    alarm_id: str
    office_id: str
    status: str
    events: list[dict[str, Any]]
    chain: str | None = None  # "ok", a reason it is broken, or None when the API says nothing


@dataclass
class Verdict:
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def held(self) -> bool:
        return not self.violations


def pressed_on_timelines(alarms: list[AlarmRecord]) -> Counter[tuple[str, int]]:
    """How often each (device, seq) is recorded as a press, over every timeline; a coalesced
    repeat that carries the seqs it stands for (`seqs`, e.g. `1-4000,4002`) counts for each."""
    seen: Counter[tuple[str, int]] = Counter()
    for alarm in alarms:
        for event in alarm.events:
            if event["type"] not in PRESS_EVENTS:
                continue
            data = event["data"]
            for seq in _seqs(data.get("seqs")) or [data["seq"]]:
                seen[(data["device_id"], int(seq))] += 1
    return seen


def _seqs(value: Any) -> list[int]:
    """A row's `seqs`: the service's runs text (`1-4000,4002`), or a plain list."""
    if isinstance(value, list):
        return [int(v) for v in value]
    return parse_seqs(value) if isinstance(value, str) else []


def every_press_once(
    presses: list[Press], alarms: list[AlarmRecord], near: Callable[[float], str]
) -> Verdict:
    verdict = Verdict("I1 every acknowledged press on exactly one timeline, once")
    seen = pressed_on_timelines(alarms)
    originals = [p for p in presses if p.acked_at is not None and not p.replay]
    verdict.checked = len(originals)
    for press in originals:
        n = seen.get((press.device_id, press.seq), 0)
        if n != 1:
            what = "lost" if n == 0 else f"recorded {n} times"
            verdict.violations.append(
                f"{press.device_id} seq {press.seq}: {what} ({near(press.published_at)})"
            )
    unacked = sum(p.acked_at is None for p in presses)
    repeated = sum(p.sends > 1 for p in originals)
    verdict.note = (
        f"{unacked} never acknowledged by the broker (not counted); "
        f"{repeated} repeated by their button for want of feedback"
    )
    return verdict


def offers_reached(
    alarms: list[AlarmRecord], handsets: list[HandsetLog], presses: list[Press], end: float
) -> Verdict:
    """An offer to a person counts as due on their handset when that handset was connected from
    the press until it saw the alarm close (on the run's own clock, so a skewed service clock
    cannot excuse or blame anyone)."""
    verdict = Verdict("I2 every connected target handset got its offer")
    pressed_at = {(p.device_id, p.seq): p.published_at for p in presses if not p.replay}
    by_person = {(h.office_id, h.person_id): h for h in handsets if not h.slow}
    for alarm in alarms:
        start = _raised_at(alarm, pressed_at)
        if start is None:
            continue
        for event in alarm.events:
            if event["type"] != "RoleOffered":
                continue
            role = event["data"]["role_id"]
            for person in event["data"]["person_ids"]:
                handset = by_person.get((alarm.office_id, person))
                if handset is None:
                    continue
                close = handset.closed_seen.get(alarm.alarm_id, end)
                if not handset.connected_through(start, close):
                    continue
                verdict.checked += 1
                if not handset.got_offer(alarm.alarm_id, role):
                    verdict.violations.append(f"{alarm.alarm_id} {role} → {person}: not received")
    return verdict


def chains_verify(alarms: list[AlarmRecord]) -> Verdict:
    verdict = Verdict("I3 every alarm's hash chain verifies")
    told = [a for a in alarms if a.chain is not None]
    verdict.checked = len(told)
    verdict.violations = [f"{a.alarm_id}: {a.chain}" for a in told if a.chain != "ok"]
    if len(told) < len(alarms):
        verdict.note = f"{len(alarms) - len(told)} alarms without a chain verdict from the API"
    return verdict


def offices_kept_apart(alarms: list[AlarmRecord], handsets: list[HandsetLog]) -> Verdict:
    verdict = Verdict("I4 no alarm frame crossed an office boundary")
    owner = {a.alarm_id: a.office_id for a in alarms}
    for handset in handsets:
        for frame in handset.received:
            verdict.checked += 1
            if frame.shared:
                continue
            if frame.office_id != handset.office_id or owner.get(frame.alarm_id) not in (
                None,
                handset.office_id,
            ):
                verdict.violations.append(
                    f"{frame.alarm_id} of {owner.get(frame.alarm_id, frame.office_id)} "
                    f"reached {handset.token} of {handset.office_id}"
                )
    return verdict


def alarms_closed(alarms: list[AlarmRecord]) -> Verdict:
    verdict = Verdict("I5 every alarm could be closed")
    verdict.checked = len(alarms)
    verdict.violations = [f"{a.alarm_id}: still {a.status}" for a in alarms if a.status == "open"]
    return verdict


def all_verdicts(
    presses: list[Press],
    alarms: list[AlarmRecord],
    handsets: list[HandsetLog],
    end: float,
    near: Callable[[float], str] = lambda t: "",
) -> list[Verdict]:
    """`near` names the fault active at (or just before) a moment, for the violation lines."""
    return [
        every_press_once(presses, alarms, near),
        offers_reached(alarms, handsets, presses, end),
        chains_verify(alarms),
        offices_kept_apart(alarms, handsets),
        alarms_closed(alarms),
    ]


def _raised_at(alarm: AlarmRecord, pressed_at: dict[tuple[str, int], float]) -> float | None:
    for event in alarm.events:
        if event["type"] == "PressReceived":
            data = event["data"]
            return pressed_at.get((data["device_id"], int(data["seq"])))
    return None


DEADLINE_EVENTS = {  # a deadline's event and what names the one deadline it closes
    "OfferTimedOut": ("role_id", "offer_no"),
    "LeaderAlerted": ("role_id", "offer_no"),
    "RoleUnfilled": ("role_id",),
}


def deadlines_once(alarms: list[AlarmRecord]) -> Verdict:
    """Every escalation deadline fired at most once: no alarm records the same offer timing out
    (or the same role going unfilled after the same offer) twice, as two replicas or a replayed
    timer would. A role unfilled, offered again to someone who arrived, and unfilled again is
    two deadlines, not one fired twice."""
    verdict = Verdict("every deadline fired once")
    for alarm in alarms:
        seen: Counter[tuple[Any, ...]] = Counter()
        offered: dict[Any, Any] = {}  # role → its latest offer number
        for event in alarm.events:
            data = event["data"]
            if event["type"] == "RoleOffered":
                offered[data.get("role_id")] = data.get("offer_no")
            names = DEADLINE_EVENTS.get(event["type"])
            if names is not None:
                key = (event["type"], *(data.get(n) for n in names))
                if event["type"] == "RoleUnfilled":  # again after a later offer ran out: another
                    key += (offered.get(data.get("role_id")),)
                seen[key] += 1
        verdict.checked += sum(seen.values())
        verdict.violations += [
            f"{alarm.alarm_id}: {key} {n} times" for key, n in seen.items() if n > 1
        ]
    return verdict
