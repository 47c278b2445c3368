"""Frames as text: an offer filled into its cached template reads exactly as the frame encoded
whole, also after the card changed; `event_seq` is spliced in as a member of the object."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.adapters.ws import outbound
from app.adapters.ws.encoding import OfferTexts, encode, stamped
from app.core import commands as cmd
from app.core.alarm import AlarmState
from app.core.office import AlarmMode, Gesture, Office, Step
from app.service.ports import PressKey
from tests.unit.test_dispatcher import World


async def raised(device: str = "desk-1", gesture: Gesture = Gesture.SINGLE) -> World:
    w = World()
    w.present("lise", "per", "gro")
    await w.dispatcher.press(w.office, PressKey(device, 1), gesture, mode=AlarmMode.DRILL)
    return w


def alarm_of(w: World) -> tuple[AlarmState, Office]:
    [state] = w.dispatcher.open_alarms(w.office.id)
    return state, w.dispatcher.office_of(state)


@pytest.mark.parametrize(
    ("device", "gesture"),
    [("desk-1", Gesture.SINGLE), ("desk-1", Gesture.HOLD), ("worn-1", Gesture.DOUBLE)],
)
async def test_offer_texts_read_as_the_whole_frame_encoded(device: str, gesture: Gesture) -> None:
    w = await raised(device, gesture)
    state, office = alarm_of(w)
    texts = OfferTexts()
    for _ in range(2):  # the first builds the template, the second fills it
        for slot in state.slots:
            text = texts.encoded(state, office, slot.role_id).text
            assert json.loads(text) == outbound.offer_frame(state, office, slot.role_id)
    # an accepted role has no deadline any more: `null` where the time was
    await w.dispatcher.handle(
        office, state.alarm_id, cmd.AcceptRole(person_id="lise", role_id="leader")
    )
    after, office = alarm_of(w)
    assert after.slot("leader").due_at is None
    text = texts.encoded(after, office, "leader").text
    assert json.loads(text) == outbound.offer_frame(after, office, "leader")
    assert json.loads(text)["offer"]["due_at"] is None


async def test_a_changed_card_or_office_is_encoded_anew() -> None:
    state, office = alarm_of(await raised())
    texts = OfferTexts()
    texts.encoded(state, office, "leader")
    leader = office.rolecard.role("leader")
    renamed = replace(leader, title="Leiar", steps=(Step(1, 'Sei "stopp" \u00e5 100 %'),))
    card = replace(
        office.rolecard,
        roles=tuple(renamed if r.id == "leader" else r for r in office.rolecard.roles),
    )
    for changed in (replace(office, rolecard=card), replace(office, name="NAV Ny")):
        frame = json.loads(texts.encoded(state, changed, "leader").text)
        assert frame == outbound.offer_frame(state, changed, "leader")


async def test_a_step_that_looks_like_a_placeholder_is_encoded_whole() -> None:
    state, office = alarm_of(await raised())
    leader = office.rolecard.role("leader")
    odd = replace(leader, steps=(Step(1, "\x00alarm_id"),))
    card = replace(
        office.rolecard, roles=tuple(odd if r.id == "leader" else r for r in office.rolecard.roles)
    )
    changed = replace(office, rolecard=card)
    frame = json.loads(OfferTexts().encoded(state, changed, "leader").text)
    assert frame == outbound.offer_frame(state, changed, "leader")


def test_event_seq_is_spliced_in_as_a_member() -> None:
    frame = {"type": "alarm_update", "roles": [{"a": "}"}], "note": 'x"}'}
    text = stamped(encode(frame), 1764000000000001)
    assert json.loads(text) == {**frame, "event_seq": 1764000000000001}
    assert json.loads(stamped(encode({}), 3)) == {"event_seq": 3}
