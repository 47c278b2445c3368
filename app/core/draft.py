"""The working draft of one decision: events folded in as they are emitted, effects collected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, evolve
from app.core.assignment import DispatchContext
from app.core.office import Role


class InvalidTransition(Exception):
    """The command does not fit the alarm as it is; `code` is what a handset's error frame says."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Decision:
    events: tuple[ev.Event, ...] = ()
    effects: tuple[fx.Effect, ...] = ()
    state: AlarmState | None = None  # the state after the events, already folded


@dataclass
class Draft:
    state: AlarmState | None
    ctx: DispatchContext
    now: datetime
    events: list[ev.Event] = field(default_factory=list)
    effects: dict[fx.Effect, None] = field(default_factory=dict)

    def emit(self, event: ev.Event) -> None:
        self.events.append(event)
        self.state = evolve(self.state, event)

    def effect(self, effect: fx.Effect) -> None:
        self.effects[effect] = None  # ordered, and each effect once

    @property
    def alarm(self) -> AlarmState:
        assert self.state is not None
        return self.state

    def role(self, role_id: str) -> Role:
        try:
            return self.ctx.office.rolecard.role(role_id)
        except KeyError:
            raise InvalidTransition("unknown_role", f"no role {role_id!r} on this card") from None

    def decision(self) -> Decision:
        return Decision(tuple(self.events), tuple(self.effects), self.state)
