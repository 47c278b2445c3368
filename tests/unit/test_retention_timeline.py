"""The retention purge reaches the alarm timelines: a handset text past the office's period is
blanked, a newer one is kept, and both timelines still verify."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from app.core import events as ev
from tests.unit.learning_timelines import timeline
from tests.unit.learning_world import T0, World

DAY = timedelta(days=1)


def with_help_text(alarm_id: str, at: datetime, text: str) -> list[ev.Event]:
    events = timeline(alarm_id, at, accepts={"leader": 10}, help_from="per")
    return [replace(e, text=text) if isinstance(e, ev.HelpRequested) else e for e in events]


async def help_texts(w: World, alarm_id: str) -> list[str | None]:
    stored = await w.alarms.events(alarm_id)
    return [s.event.text for s in stored if isinstance(s.event, ev.HelpRequested)]


async def test_the_purge_blanks_a_help_text_past_the_period_and_keeps_a_newer_one(
    tmp_path: Path,
) -> None:
    w = World(tmp_path)
    old = await w.alarm(with_help_text("a-old", T0 - 40 * DAY, "Per trenger hjelp med Ola"))
    new = await w.alarm(with_help_text("a-new", T0 - 10 * DAY, "Kom til mottaket"))
    await w.learning.retention.purge(["demo"])  # the default 365 days: nothing is that old
    assert await help_texts(w, old) == ["Per trenger hjelp med Ola"]

    await w.learning.retention.set_days("demo", 30, "token:ab")
    await w.learning.retention.purge(["demo"])
    assert await help_texts(w, old) == [None]
    assert await help_texts(w, new) == ["Kom til mottaket"]
    assert await w.alarms.verify_chain(old) and await w.alarms.verify_chain(new)
    [help_row] = [r for r in w.alarms.rows[old] if r.type == "HelpRequested"]
    assert "Ola" not in repr(help_row) and help_row.data["text_sha256"].startswith("sha256:")
