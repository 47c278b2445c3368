"""The safety rules: nobody left alone, help when police are far, bystanders, a policy."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from app.config.rules.base import Finding, error, warning
from app.config.rules.scenarios import Alarm, Card, Scenarios, base_card, cards
from app.config.schema import (
    AllRespondSpec,
    AssembleSpec,
    Loc,
    OfficeFile,
    PoolSpec,
    Zone,
    pool_size,
)
from app.core.facts import AFTER_HOURS
from app.core.office import Contact, Stance, TriggerKind

LEFT_ALONE = (Stance.WITHDRAW_TO, Stance.STAY_AND_GUARD)
GOES_TO_THEM = (Stance.APPROACH, Stance.ASSESS_FROM_DOOR)
LOCAL_HELP = (Contact.NEIGHBOUR, Contact.AGENCY)


def _left_alone(alarm: Alarm) -> bool:
    if alarm.presser_stance not in LEFT_ALONE:
        return False
    return not any(x.role.stance in GOES_TO_THEM and x.role.required for x in alarm.roles)


def rule_nobody_left_alone(f: OfficeFile) -> Iterator[Finding]:
    """For every trigger, in every situation, a required role goes to a presser who withdraws.

    Worn triggers are checked at their home location; every variant that can apply (by place,
    kind, level, time window, guard on duty or not) is tried, see `Scenarios`.
    """
    scenarios = Scenarios(f)
    tried: Counter[tuple[Loc, int]] = Counter()
    alone: dict[tuple[Loc, int], list[Alarm]] = {}
    for alarm in scenarios.alarms():
        key = (alarm.card.loc, alarm.index)
        tried[key] += 1
        if _left_alone(alarm):
            alone.setdefault(key, []).append(alarm)
    found: dict[Loc, tuple[Card, list[str]]] = {}
    for key, alarms in alone.items():
        first = alarms[0]
        when = "every alarm" if len(alarms) == tried[key] else scenarios.describe(first.situation)
        found.setdefault(key[0], (first.card, []))[1].append(f"{first.where} ({when})")
    for card, where in found.values():
        yield error(
            card.loc,
            f"someone would be left alone (alenearbeid): in {card.name} the person who pressed "
            f"withdraws, but no required role approaches or assesses from the door, for "
            f"{'; '.join(where)}. Give a required role stance approach or assess_from_door "
            "that applies there",
        )


def _has_contact(*contacts: Contact) -> Callable[[Card], bool]:
    def check(card: Card) -> bool:
        return any(
            x.role.stance is Stance.EXTERNAL_CONTACT and x.role.contact in contacts
            for x in card.roles
        )

    return check


def _police_hint(card: Card) -> str:
    titled = [x.id for x in card.roles if re.search(r"polit|police", x.role.title, re.I)]
    if not titled:
        return ""
    return f" (role {titled[0]!r} looks like one: give it `contact: police`)"


def rule_help_when_police_far(f: OfficeFile) -> Iterator[Finding]:
    """Police further away than `police.far_after_min`: a police-contact and a local-help role."""
    police = f.police
    if police is None or police.eta_min <= police.far_after_min:
        return
    far = f"police may need {police.eta_min} min to arrive (more than {police.far_after_min})"
    needs = (
        (_has_contact(Contact.POLICE), "no police-contact role (politikontakt)",
         "add a role with stance external_contact and `contact: police` who calls 112 and asks "
         "for advice while waiting"),
        (_has_contact(*LOCAL_HELP), "no local-help role (naboer/samlokaliserte tjenester)",
         "add a role with stance external_contact and `contact: neighbour` (or `agency`) who "
         "calls the stored contacts nearby"),
    )  # fmt: skip
    base, *variants = cards(f)
    for has, missing, fix in needs:
        if not has(base):
            hint = _police_hint(base) if "police-contact" in missing else ""
            yield error(("police", "eta_min"), f"{far} and there is {missing}: {fix}{hint}")
            continue
        for card in variants:
            if not has(card):
                yield error(card.loc, f"{far}, but {card.name} has {missing}: {fix}")


def rule_bystanders(f: OfficeFile) -> Iterator[Finding]:
    """A public reception needs a role that protects the other users (publikum).

    The base card must have one; a variant may leave it out only where it never applies to a
    trigger in a public zone during the office's hours (e.g. a "come by" in conversation rooms).
    """
    if not f.public_reception:
        return
    if f.reception is not None and f.reception.public is not None:
        loc: tuple[str | int, ...] = ("reception", "public")
        why = "the reception is public"
    else:
        first = next(i for i, x in enumerate(f.locations) if x.zone is Zone.PUBLIC)
        loc, why = ("locations", first, "zone"), "this location is public (publikumsmottak)"
    has = _has_stance(Stance.PROTECT_BYSTANDERS)
    if not has(base_card(f)):
        yield error(
            loc,
            f"{why} but no role protects bystanders: add a role with stance protect_bystanders "
            "that gets other users out and keeps newcomers away (or set `reception: {public: "
            "false}` if no users come in)",
        )
        return
    reported: set[Loc] = set()
    scenarios = Scenarios(f)
    for alarm in scenarios.alarms():
        s, card = alarm.situation, alarm.card
        open_hours = s.windows != {AFTER_HOURS}
        if (
            s.zone == Zone.PUBLIC.value
            and open_hours
            and not has(card)
            and card.loc not in reported
        ):
            reported.add(card.loc)
            yield error(
                card.loc,
                f"{why} but {card.name} drops the protect_bystanders role, and applies to "
                f"{alarm.where} ({scenarios.describe(s)})",
            )


def _has_stance(stance: Stance) -> Callable[[Card], bool]:
    return lambda card: any(x.role.stance is stance for x in card.roles)


def rule_intervention_policy(f: OfficeFile) -> Iterator[Finding]:
    policy = f.intervention_policy
    fix = (
        "write the office's policy on physical intervention (e.g. 'No one is expected to "
        "intervene physically; take care of yourself first'); it is shown to every role holder"
    )
    if policy is None:
        yield error(("office",), f"no `intervention_policy`: {fix}")
    elif not policy.text.strip():
        yield error(
            ("intervention_policy", "text"), f"the intervention policy text is empty: {fix}"
        )


def people_pulled(f: OfficeFile, card: Card) -> int:
    """How many people one alarm with this card pulls from their work.

    Each required role counts one; a pool counts its declared `size` (else its required roles);
    a required all_respond role counts everyone with a handset; assembling staff count nothing
    (they gather, they do not go to the alarm).
    """
    required = [x.role for x in card.roles if x.role.required]
    if any(isinstance(r.assignment, AllRespondSpec) for r in required):
        return len({h.person for h in f.handsets})
    pools: dict[str, int] = {}
    total = 0
    for r in required:
        a = r.assignment
        if isinstance(a, PoolSpec):
            pools[a.pool] = pools.get(a.pool, 0) + 1
        elif not isinstance(a, AssembleSpec):
            total += 1
    for name, drawing in pools.items():
        entry = f.pools.get(name)
        total += (pool_size(entry) if entry is not None else None) or drawing
    return total


def rule_people_per_alarm(f: OfficeFile) -> Iterator[Finding]:
    limit = f.office.max_people_per_alarm
    if limit is None:
        return
    base, *variants = cards(f)
    base_count = people_pulled(f, base)
    if base_count > limit:
        yield warning(
            ("office", "max_people_per_alarm"),
            f"one alarm pulls {base_count} people from work (required roles) but the office "
            f"maximum is {limit}: four people running in can provoke more than it calms "
            "(«fire personer»)",
        )
    for card in variants:
        n = people_pulled(f, card)
        if n > limit and n != base_count:
            yield warning(card.loc, f"{card.name} pulls {n} people; the office maximum is {limit}")


def rule_floor_hosts_worn(f: OfficeFile) -> Iterator[Finding]:
    if f.reception is None or not f.reception.floor_hosts:
        return
    if not any(d.kind is TriggerKind.WORN for d in f.devices):
        yield warning(
            ("reception", "floor_hosts"),
            "the office has floor hosts (svevere/publikumsverter) but no worn triggers: a floor "
            "host has no desk button; give each a device with kind: worn",
        )
