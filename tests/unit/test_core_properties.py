"""Invariants that must hold after any sequence of answers, timeouts and presses (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import commands as cmd
from app.core.alarm import AlarmState, SlotStatus, evolve, fold
from app.core.assignment import DispatchContext
from app.core.office import (
    AllRespondAssignment,
    AssembleAssignment,
    FirstToClaimAssignment,
    NamedAssignment,
    PoolAssignment,
    Stance,
)
from app.core.transitions import InvalidTransition, decide
from tests.unit.office_fixtures import T0, office, role

POOL = PoolAssignment("back")
OFFICE = office(
    role("leader", NamedAssignment("lise", ("per",)), leader=True, stance=Stance.EXTERNAL_CONTACT),
    role("guard", NamedAssignment("gunn", ("per", "ola"))),
    role("r1", POOL),
    role("r2", POOL),
    role("c1", FirstToClaimAssignment()),
    role("c2", FirstToClaimAssignment()),
    role("all", AllRespondAssignment()),
    role("gather", AssembleAssignment(), stance=Stance.ASSEMBLE_AT),
    pools={"back": ("a", "b", "ola")},
    people=("zed",),
)
PEOPLE = sorted(OFFICE.people)
ROLES = [r.id for r in OFFICE.rolecard.roles if r.id != "gather"]

person = st.sampled_from(PEOPLE)
role_id = st.sampled_from(ROLES)
answer = st.one_of(
    st.builds(lambda p, r: cmd.AcceptRole(person_id=p, role_id=r), person, role_id),
    st.builds(lambda p, r: cmd.DeclineRole(person_id=p, role_id=r), person, role_id),
    st.builds(lambda r, n: cmd.ExpireOffer(role_id=r, offer_no=n), role_id, st.integers(1, 4)),
    st.builds(
        lambda p, r, s: cmd.CompleteStep(person_id=p, role_id=r, step=s),
        person,
        role_id,
        st.integers(0, 4),
    ),
    st.builds(lambda p: cmd.JoinAlarm(person_id=p), person),
    st.builds(lambda r: cmd.RemindLeader(role_id=r), role_id),
)


def check_invariants(state: AlarmState) -> None:
    holders: list[str] = []
    for s in state.slots:
        if s.status is SlotStatus.ACCEPTED:
            holders.extend(s.responders or {s.holder_id or ""})
    assert len(holders) == len(set(holders)), "nobody holds two roles in one alarm"
    assert state.presser_id not in holders, "the presser is never a responder"
    for s in state.slots:
        assert (s.status is SlotStatus.ACCEPTED) == (s.holder_id is not None)
        assert s.pending <= s.offered <= s.asked | s.offered
        if s.status is SlotStatus.ACCEPTED and not s.responders:
            assert not s.offered and s.due_at is None
        if s.status is SlotStatus.OFFERED:
            assert s.due_at is not None


@settings(max_examples=300, deadline=None)
@given(
    present=st.frozensets(st.sampled_from(PEOPLE)),
    device=st.sampled_from(["desk-1", "worn-1"]),
    answers=st.lists(answer, max_size=25),
)
def test_any_sequence_keeps_the_invariants_and_replays_identically(
    present: frozenset[str], device: str, answers: list[cmd.Command]
) -> None:
    ctx = DispatchContext(office=OFFICE, present=present)
    log = []
    state = None
    now = T0
    for command in [cmd.RaiseAlarm(alarm_id="a", device_id=device, seq=1), *answers]:
        now += timedelta(seconds=3)
        try:
            decision = decide(state, command, ctx, now)
        except InvalidTransition:
            continue
        for event in decision.events:
            state = evolve(state, event)
            log.append(event)
        assert state is not None
        check_invariants(state)
    assert fold(log) == state
    assert state is not None
    # every role is either being offered, taken, or explicitly recorded as unfilled
    for s in state.slots:
        if s.role_id == "gather":
            continue  # an assembly role waits until someone present has nothing else to do
        assert s.status is not SlotStatus.WAITING or any(
            o.status is SlotStatus.OFFERED for o in state.slots
        )
