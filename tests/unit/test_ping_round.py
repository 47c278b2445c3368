"""The ping round (app/adapters/ws/pinger.py): every member pinged once per interval, in small
batches; a member that says so, or fails, leaves the round without stopping the others."""

from __future__ import annotations

import asyncio

from app.adapters.ws.pinger import PingRound


class Member:
    def __init__(self, stays: int = 1_000, fails: bool = False) -> None:
        self.pings = 0
        self.stays = stays
        self.fails = fails

    def ping_due(self) -> bool:
        self.pings += 1
        if self.fails:
            raise RuntimeError("socket gone")
        return self.pings < self.stays


async def test_every_member_is_pinged_about_once_per_interval() -> None:
    pings = PingRound(interval_s=0.2, slots=4)
    members = [Member() for _ in range(40)]
    for m in members:
        pings.join(m)
    await asyncio.sleep(1.05)  # five intervals
    await pings.close()
    counts = sorted(m.pings for m in members)
    assert counts[0] >= 4 and counts[-1] <= 6, counts


async def test_members_are_spread_over_the_slots() -> None:
    pings = PingRound(interval_s=0.4, slots=4)
    members = [Member() for _ in range(40)]
    for m in members:
        pings.join(m)
    await asyncio.sleep(0.15)  # one tick: one slot of four
    await pings.close()
    assert sum(m.pings for m in members) == 10


async def test_a_member_that_leaves_or_fails_is_not_pinged_again() -> None:
    pings = PingRound(interval_s=0.1, slots=2)
    done, broken, gone, kept = Member(stays=2), Member(fails=True), Member(), Member()
    for m in (done, broken, gone, kept):
        pings.join(m)
    pings.leave(gone)
    await asyncio.sleep(0.55)
    await pings.close()
    assert done.pings == 2
    assert broken.pings == 1
    assert gone.pings == 0
    assert kept.pings >= 4
    assert len(pings) == 1


async def test_a_handset_joining_after_shutdown_starts_no_new_round() -> None:
    pings = PingRound(interval_s=0.1, slots=2)
    await pings.close()
    late = Member()
    pings.join(late)
    await asyncio.sleep(0.25)
    assert late.pings == 0
