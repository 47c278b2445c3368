"""A recording HandsetNotifier and FeedbackPort: what would have been pushed, in order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Office


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> None:
        self.sent.append(("offer", (state.alarm_id, person_id, role_id)))

    def notice(self, state: AlarmState, office: Office, person_ids: Sequence[str]) -> None:
        self.sent.append(("notice", (state.alarm_id, tuple(person_ids))))

    def update(self, state: AlarmState, office: Office, last: ev.Event | None) -> None:
        self.sent.append(("update", state.alarm_id))

    def closed(self, state: AlarmState, office: Office) -> None:
        self.sent.append(("closed", state.alarm_id))

    def lockdown(self, state: AlarmState, office: Office, on: bool) -> None:
        self.sent.append(("lockdown", (state.alarm_id, on)))

    def assembly(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str]
    ) -> None:
        self.sent.append(("assembly", (state.alarm_id, role_id, tuple(person_ids))))

    def reminder(
        self,
        state: AlarmState,
        office: Office,
        role_id: str,
        person_ids: Sequence[str],
        kind: str,
    ) -> None:
        self.sent.append(("reminder", (state.alarm_id, role_id, tuple(person_ids), kind)))

    def shared(self, state: AlarmState, office: Office, office_ids: Sequence[str]) -> None:
        self.sent.append(("shared", (state.alarm_id, tuple(office_ids))))

    def presser(self, state: AlarmState, office: Office, person_id: str, feedback: str) -> None:
        self.sent.append(("presser", (state.alarm_id, person_id, feedback)))

    def offers(self) -> list[tuple[str, str, str]]:
        return [payload for kind, payload in self.sent if kind == "offer"]


class RecordingFeedback:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.commands: list[tuple[str, bytes]] = []

    async def send(self, device_id: str, payload: dict[str, Any]) -> None:
        self.sent.append((device_id, payload))

    async def send_command(self, topic: str, payload: bytes) -> None:
        self.commands.append((topic, payload))
