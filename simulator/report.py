"""Per-role report and verdicts folded from stored events only, as a debrief would see them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.core import events as ev
from app.core.office import RoleCard
from app.core.variants import card_from_record
from simulator.scenario_model import Expectation

TOLERANCE_S = 0.05


@dataclass(frozen=True)
class Mark:
    """Something that happened to a role: seconds after the press, who, and a detail."""

    at_s: float
    people: tuple[str, ...] = ()
    detail: str = ""
    acting_for: str | None = None  # an offer or accept by a stand-in: for whom


@dataclass
class RoleReport:
    role_id: str
    title: str = ""
    required: bool = True
    leader: bool = False
    mode: str = ""
    offers: list[Mark] = field(default_factory=list)  # detail: stage (and "acting for x")
    accepted: list[Mark] = field(default_factory=list)  # detail: "acting for x", if so
    declined: list[Mark] = field(default_factory=list)
    timeouts: list[Mark] = field(default_factory=list)
    withdrawn: list[Mark] = field(default_factory=list)  # detail: why
    unfilled: list[Mark] = field(default_factory=list)
    leader_alerts: list[Mark] = field(default_factory=list)
    external: list[Mark] = field(default_factory=list)
    assembled: list[Mark] = field(default_factory=list)
    reminders: list[Mark] = field(default_factory=list)
    steps: list[Mark] = field(default_factory=list)  # detail: the step's number

    @property
    def holder(self) -> str | None:
        return self.accepted[0].people[0] if self.accepted else None

    @property
    def offered_to(self) -> list[str]:
        """Everyone asked, in the order they were first asked."""
        return list(dict.fromkeys(p for m in self.offers for p in m.people))

    def first_offer_s(self, person: str) -> float | None:
        return next((m.at_s for m in self.offers if person in m.people), None)


@dataclass
class AlarmReport:
    alarm_id: str
    device_id: str
    location_id: str
    level: str  # at the end: a repeat press may have raised it
    raised_at: datetime
    rolecard_version: str
    variant_id: str | None
    presser_id: str | None
    roles: list[RoleReport]
    status: str = "open"
    closed_at_s: float | None = None
    closed_by: str | None = None
    help: list[Mark] = field(default_factory=list)
    presses: list[Mark] = field(default_factory=list)  # repeats: detail is the level
    shared: tuple[str, ...] = ()  # other offices the alarm was shown to
    lockdown: list[Mark] = field(default_factory=list)  # detail: "on" or "off"
    arrived: list[Mark] = field(default_factory=list)  # "I am there", in order
    police: Mark | None = None  # who ticked "police contacted", and when

    def role(self, role_id: str) -> RoleReport | None:
        return next((r for r in self.roles if r.role_id == role_id), None)


def alarm_report(events: Sequence[ev.Event], card: RoleCard) -> AlarmReport:
    """Fold one alarm's timeline into its report; `card` is the office's (unresolved) card."""
    raised = next(e for e in events if isinstance(e, ev.AlarmRaised))
    extended = [e for e in events if isinstance(e, ev.CardExtended)]
    role_ids = extended[-1].role_ids if extended else raised.role_ids
    variants = [raised.variant_id, *(e.variant_id for e in extended)]
    used = card_from_record(card, variants[-1], role_ids, earlier=variants[:-1])
    report = AlarmReport(
        alarm_id=raised.alarm_id,
        device_id=raised.device_id,
        location_id=raised.location_id,
        level=raised.level.value,
        raised_at=raised.at,
        rolecard_version=raised.rolecard_version,
        variant_id=raised.variant_id,
        presser_id=raised.presser_id,
        roles=[RoleReport(role_id=r) for r in role_ids],
    )
    for role in used.roles:
        r = report.role(role.id)
        if r is not None:
            r.title, r.required, r.leader = role.title, role.required, role.leader
            r.mode = type(role.assignment).__name__.removesuffix("Assignment").lower()
    for event in events:
        _fold(report, event, (event.at - raised.at).total_seconds())
    return report


def _fold(report: AlarmReport, e: ev.Event, t: float) -> None:
    if isinstance(e, ev.AllClearGiven | ev.AlarmCancelled):
        report.status = "resolved" if isinstance(e, ev.AllClearGiven) else "cancelled"
        report.closed_at_s = t
        report.closed_by = e.person_id if isinstance(e, ev.AllClearGiven) else e.device_id
        return
    if isinstance(e, ev.HelpRequested):
        report.help.append(Mark(t, (e.person_id,), e.text or ""))
        return
    if isinstance(e, ev.PressRepeated):
        report.presses.append(Mark(t, (), e.level.value))
        return
    if isinstance(e, ev.LevelRaised):
        report.level = e.level.value
        return
    if isinstance(e, ev.LockdownChanged):
        report.lockdown.append(Mark(t, (e.person_id,), "on" if e.on else "off"))
        return
    if isinstance(e, ev.AlarmShared):
        report.shared = e.office_ids
        return
    if isinstance(e, ev.ArrivalMarked):
        report.arrived.append(Mark(t, (e.person_id,), e.via))
        return
    if isinstance(e, ev.PoliceContacted):
        report.police = Mark(t, (e.person_id,))
        return
    role_id = getattr(e, "role_id", None)
    r = report.role(role_id) if isinstance(role_id, str) else None
    if r is None:
        return
    acting = getattr(e, "acting_for", None)
    note = f"acting for {acting}" if acting else ""
    match e:
        case ev.RoleOffered():
            detail = e.stage + (f", {note}" if note else "")
            r.offers.append(Mark(t, e.person_ids, detail, acting))
        case ev.RoleAccepted():
            r.accepted.append(Mark(t, (e.person_id,), note, acting))
        case ev.RoleDeclined():
            r.declined.append(Mark(t, (e.person_id,), e.reason or ""))
        case ev.OfferTimedOut():
            r.timeouts.append(Mark(t, e.person_ids))
        case ev.OfferWithdrawn():
            r.withdrawn.append(Mark(t, e.person_ids, e.reason))
        case ev.RoleUnfilled():
            r.unfilled.append(Mark(t))
        case ev.LeaderAlerted():
            r.leader_alerts.append(Mark(t, e.person_ids))
        case ev.ExternalAlerted():
            r.external.append(Mark(t, e.contact_ids))
        case ev.AssemblyCalled():
            r.assembled.append(Mark(t, e.person_ids))
        case ev.ReminderSent():
            r.reminders.append(Mark(t, e.person_ids))
        case ev.StepCompleted():
            r.steps.append(Mark(t, (e.person_id,), str(e.step)))


# --- expectations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    expected: str
    actual: str
    met: bool


def _names(people: Sequence[str]) -> str:
    return ", ".join(people) if people else "nobody"


def _secs(t: float | None) -> str:
    return "never" if t is None else f"{t:g} s"


def evaluate(exp: Expectation, alarms: Sequence[AlarmReport]) -> list[Outcome]:
    """One outcome per check in the expectation (a role expectation may hold several)."""
    if exp.alarms_raised is not None:
        met = len(alarms) == exp.alarms_raised
        return [Outcome(f"{exp.alarms_raised} alarm(s) raised", str(len(alarms)), met)]
    prefix = f"alarm {exp.of_alarm}: " if exp.of_alarm != 1 else ""
    if exp.of_alarm > len(alarms):
        given = exp.model_dump(exclude_none=True, exclude={"of_alarm"}, by_alias=True)
        text = prefix + ", ".join(f"{k}: {v}" for k, v in given.items())
        return [Outcome(text, f"only {len(alarms)} alarm(s) raised", False)]
    alarm = alarms[exp.of_alarm - 1]
    if not exp.role_checks():
        outcomes = _subject(exp, alarm)
    elif (role := alarm.role(exp.role or "")) is None:
        text = f"{exp.role}: {', '.join(exp.role_checks())}"
        return [Outcome(prefix + text, "role not on this alarm's card", False)]
    else:
        outcomes = [_role_check(exp, key, role) for key in exp.role_checks()]
    return [Outcome(prefix + o.expected, o.actual, o.met) for o in outcomes]


def _subject(exp: Expectation, alarm: AlarmReport) -> list[Outcome]:
    if exp.presser is not None:
        who = alarm.presser_id or "unknown"
        return [Outcome(f"pressed by {exp.presser}", who, who == exp.presser)]
    if exp.arrived is not None:
        came = [p for m in alarm.arrived for p in m.people]
        return [Outcome(f"arrived {_names(exp.arrived)}", _names(came), came == exp.arrived)]
    if exp.alarm is not None:
        closed = f" at {_secs(alarm.closed_at_s)} by {alarm.closed_by}" if alarm.closed_by else ""
        return [Outcome(f"alarm {exp.alarm}", alarm.status + closed, alarm.status == exp.alarm)]
    if exp.variant is not None:
        used = alarm.variant_id or "base"
        return [Outcome(f"card variant {exp.variant}", used, used == exp.variant)]
    if exp.acting_for is not None:
        a = exp.acting_for
        role = alarm.role(a.role)
        marks = [] if role is None else [*role.offers, *role.accepted]
        hit = [m for m in marks if a.person in m.people and m.acting_for == a.for_person]
        seen = [f"{_names(m.people)} for {m.acting_for}" for m in marks if m.acting_for]
        text = f"{a.role}: {a.person} acting for {a.for_person}"
        return [
            Outcome(text, "; ".join(dict.fromkeys(seen)) or "nobody acting for anyone", bool(hit))
        ]
    assert exp.assembled is not None
    roles = [r for r in alarm.roles if exp.role in (None, r.role_id)]
    told = sorted({p for r in roles for m in r.assembled for p in m.people})
    where = f"{exp.role}: " if exp.role else ""
    met = told == sorted(exp.assembled)
    return [Outcome(f"{where}assembled {_names(sorted(exp.assembled))}", _names(told), met)]


def _role_check(exp: Expectation, key: str, r: RoleReport) -> Outcome:
    accepted = r.accepted[0] if r.accepted else None
    took = f"{accepted.people[0]} at {_secs(accepted.at_s)}" if accepted else "nobody"
    ext = sorted({c for m in r.external for c in m.people})
    declined = sorted({p for m in r.declined for p in m.people})
    timed_out = sorted({p for m in r.timeouts for p in m.people})
    is_unfilled = bool(r.unfilled) and accepted is None
    checks: dict[str, tuple[str, str, bool]] = {
        "holder": (f"held by {exp.holder}", took, r.holder == exp.holder),
        "accepted_by_s": (
            f"accepted within {_secs(exp.accepted_by_s)}",
            took,
            accepted is not None and accepted.at_s <= (exp.accepted_by_s or 0) + TOLERANCE_S,
        ),
        "offered_to": (
            f"offered to {_names(exp.offered_to or [])} in that order",
            _names(r.offered_to),
            r.offered_to == exp.offered_to,
        ),
        "not_offered_to": (
            f"never offered to {_names(exp.not_offered_to or [])}",
            _names(r.offered_to),
            not set(exp.not_offered_to or []) & set(r.offered_to),
        ),
        "offered_at_s": _offered_at(exp.offered_at_s or {}, r),
        "declined_by": (
            f"declined by {_names(sorted(exp.declined_by or []))}",
            _names(declined),
            declined == sorted(exp.declined_by or []),
        ),
        "timed_out": (
            f"not answered in time by {_names(sorted(exp.timed_out or []))}",
            _names(timed_out),
            timed_out == sorted(exp.timed_out or []),
        ),
        "unfilled": (
            "unfilled" if exp.unfilled else "filled",
            f"unfilled at {_secs(r.unfilled[0].at_s)}" if is_unfilled else f"held by {took}",
            is_unfilled == exp.unfilled,
        ),
        "leader_alerted": _flag("leader alerted", exp.leader_alerted, r.leader_alerts),
        "external": (
            f"external contacts {_names(sorted(exp.external or []))}",
            _names(ext) + (f" at {_secs(r.external[0].at_s)}" if r.external else ""),
            ext == sorted(exp.external or []) and bool(r.external) == bool(exp.external),
        ),
        "reminded": _flag("leader reminded", exp.reminded, r.reminders),
    }
    expected, actual, met = checks[key]
    return Outcome(f"{r.role_id}: {expected}", actual, met)


def _flag(what: str, wanted: bool | None, marks: Sequence[Mark]) -> tuple[str, str, bool]:
    actual = f"{_names(marks[0].people)} at {_secs(marks[0].at_s)}" if marks else "not"
    return (what if wanted else f"not {what}", actual, bool(marks) == bool(wanted))


def _offered_at(wanted: dict[str, float], r: RoleReport) -> tuple[str, str, bool]:
    got = {p: r.first_offer_s(p) for p in wanted}
    met = all(t is not None and abs(t - wanted[p]) <= TOLERANCE_S for p, t in got.items())
    expected = ", ".join(f"{p} at {_secs(t)}" for p, t in wanted.items())
    actual = ", ".join(f"{p} at {_secs(t)}" for p, t in got.items())
    return (f"offered to {expected}", actual, met)
