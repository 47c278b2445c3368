"""Replica roles and the fencing error path (issue 14): a replica's role only moves forward, and
a journal whose store says another replica leads stops writing and never acknowledges."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from app.core import events as ev
from app.core.leadership import BadRoleChange, Replica, Role
from app.service.journal import Journal
from app.service.ports import AlarmSummary, LeadershipLost, PressKey, StoredEvent
from tests.fakes import FakeAlarmStore

T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def test_a_standby_is_promoted_then_leads_and_its_promotion_is_measured() -> None:
    replica = Replica("host:1")
    replica.to(Role.STANDBY, 10.0)
    assert not replica.leads
    replica.won(epoch=7, at=12.0)
    assert replica.role == Role.PROMOTING and replica.epoch == 7 and not replica.leads
    replica.to(Role.LEADING, 12.25)
    assert replica.leads and replica.promotion_s == pytest.approx(0.25)


def test_a_lost_leader_never_leads_again_and_losing_twice_is_one_loss() -> None:
    replica = Replica("host:1")
    replica.won(epoch=1, at=0.0)
    replica.to(Role.LEADING, 1.0)
    replica.to(Role.LOST, 2.0, "epoch 2 is not ours")
    replica.to(Role.LOST, 3.0, "again")
    assert replica.reason == "epoch 2 is not ours" and not replica.leads
    for role in (Role.LEADING, Role.STANDBY, Role.PROMOTING):
        with pytest.raises(BadRoleChange):
            replica.to(role, 4.0)


def test_a_standby_cannot_lead_without_winning_the_lock() -> None:
    replica = Replica("host:1")
    replica.to(Role.STANDBY, 0.0)
    with pytest.raises(BadRoleChange):
        replica.to(Role.LEADING, 1.0)


class FencedStore(FakeAlarmStore):
    """A store whose epoch was taken by another replica after `allowed` appends."""

    def __init__(self, allowed: int) -> None:
        super().__init__()
        self.allowed = allowed
        self.attempts = 0

    async def append(
        self, alarm: AlarmSummary, events: Sequence[ev.Event], press: PressKey | None = None
    ) -> list[StoredEvent]:
        self.attempts += 1
        if self.attempts > self.allowed:
            raise LeadershipLost("fencing epoch is 3, this replica's is 2")
        return await super().append(alarm, events, press)


def _summary(alarm_id: str) -> AlarmSummary:
    return AlarmSummary(alarm_id, "office", "desk-1", "desk", "open", "1", "live", T0, None, "v1")


async def test_a_fenced_journal_stops_writing_and_leaves_its_presses_unacknowledged() -> None:
    store = FencedStore(allowed=1)
    journal = Journal(store)
    first = journal.submit(_summary("a1"), [])
    await asyncio.wait_for(first, 5)
    second = journal.submit(_summary("a2"), [], PressKey("desk-1", 2))
    with pytest.raises(LeadershipLost):
        await asyncio.wait_for(second, 5)
    third = journal.submit(_summary("a3"), [], PressKey("desk-1", 3))
    await asyncio.sleep(0.2)  # a database error would be retried; a lost leadership is not
    assert store.attempts == 2 and not third.done()
    assert await store.alarm("a2") is None and await store.alarm("a3") is None
    await journal.close(limit_s=0.1)
