"""Rules on what each role says: a leader, a stance, a few short steps, and criteria."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from app.config.rules.base import Finding, all_roles, error
from app.config.rules.scenarios import variant_cards
from app.config.schema import Loc, OfficeFile, PresserSpec
from app.core.office import Stance

MAX_STEPS = 5
MAX_STEP_CHARS = 200
ACCEPT_WITHIN_S = (5, 600)

# Phrases that leave the decision to the person in the moment ("skjønn") ...
DISCRETIONARY = re.compile(
    r"\b(?:consider(?:ing)? (?:whether|if|going|to)|decide (?:whether|if)|"
    r"if (?:needed|necessary|appropriate|required|you think|you feel)|as (?:needed|appropriate)|"
    r"where appropriate|when (?:needed|necessary|appropriate)|at your discretion|"
    r"use your (?:judgement|judgment)|"
    r"vurder(?:e)? (?:om|å|hvorvidt)|avgjør (?:om|hvorvidt)|ved behov|om nødvendig|"
    r"hvis nødvendig|dersom nødvendig|etter (?:eget )?skjønn|om du (?:mener|synes)|"
    r"hvis du (?:mener|synes))",
    re.IGNORECASE,
)
# ... and words that give a criterion for it ("if the person threatens", "hvis", a number).
CRITERION = re.compile(
    r"\b(?:if|when|unless|as soon as|at once|immediately|before|after|"
    r"hvis|dersom|når|med mindre|straks|umiddelbart|før|etter|ved vold|ved trusler)\b|"
    r"\d|weapon|violen|threat|våpen|vold|trus",
    re.IGNORECASE,
)


def is_discretionary(step: str) -> bool:
    """True for a step that leaves the decision open without saying on what grounds.

    Heuristic: the step contains a discretionary phrase ("consider whether", "vurder om",
    "if needed", "ved behov", "decide whether", "etter eget skjønn" ...), and once those phrases
    are taken out, no criterion is left: no "if/when/unless/as soon as", "hvis/dersom/når/med
    mindre/straks", no number, no "weapon/violence/threat" ("våpen/vold/trusler"). So
    "Consider whether to go into the situation" is discretionary; "Vurder om du skal gå inn hvis
    personen truer" is not; "Hvis nødvendig, ring politiet" is.
    """
    if not DISCRETIONARY.search(step):
        return False
    return not CRITERION.search(DISCRETIONARY.sub(" ", step))


def rule_leader_role(f: OfficeFile) -> Iterator[Finding]:
    if not any(role.leader for role in f.rolecard.roles):
        yield error(
            ("rolecard", "roles"),
            "no leader role: someone must be able to give the all-clear "
            "(set `leader: true` on one role)",
        )
        return
    for card in variant_cards(f):
        if not any(x.role.leader for x in card.roles):
            yield error(
                card.loc,
                f"{card.name} has no leader role (it drops or replaces it): someone must give "
                "the all-clear; keep a role with `leader: true`",
            )


def rule_stance(f: OfficeFile) -> Iterator[Finding]:
    choices = ", ".join(s.value for s in Stance)
    for loc, role in all_roles(f):
        if role.stance is None:
            yield error(
                (*loc, "stance"),
                f"role {role.id!r} has no stance: say what its holder does with their body "
                f"(one of: {choices})",
            )


def _step_findings(loc: Loc, steps: Sequence[str], at_least_one: bool = True) -> Iterator[Finding]:
    if not steps and at_least_one:
        yield error(loc, f"no steps: give 1 to {MAX_STEPS} short numbered steps")
    if len(steps) > MAX_STEPS:
        yield error(
            (*loc, MAX_STEPS),
            f"{len(steps)} steps: at most {MAX_STEPS}, nobody reads more in the moment",
        )
    for j, text in enumerate(steps):
        if not text.strip():
            yield error((*loc, j), "empty step: write what to do, or remove it")
        elif len(text) > MAX_STEP_CHARS:
            yield error(
                (*loc, j),
                f"step is {len(text)} characters: keep it under {MAX_STEP_CHARS} "
                "so it fits a handset screen",
            )


def _pressers(f: OfficeFile) -> Iterator[tuple[Loc, Sequence[str]]]:
    pressers: list[tuple[Loc, PresserSpec | None]] = [(("rolecard", "presser"), f.rolecard.presser)]
    pressers += [
        (("rolecard", "variants", i, "presser"), v.presser)
        for i, v in enumerate(f.rolecard.variants)
    ]
    for loc, presser in pressers:
        if presser is not None:
            yield (*loc, "steps"), presser.steps
            for j, o in enumerate(presser.overrides):
                yield (*loc, "overrides", j, "steps"), o.steps


def rule_steps(f: OfficeFile) -> Iterator[Finding]:
    for loc, role in all_roles(f):
        yield from _step_findings((*loc, "steps"), role.steps)
    for loc, steps in _pressers(f):
        yield from _step_findings(loc, steps, at_least_one=False)


def rule_discretionary_only(f: OfficeFile) -> Iterator[Finding]:
    """Refuse a role whose every step leaves the decision open (see `is_discretionary`)."""
    for loc, role in all_roles(f):
        if role.steps and all(is_discretionary(s) for s in role.steps):
            yield error(
                (*loc, "steps"),
                f"role {role.id!r} only says to use discretion ({role.steps[0].strip()!r}) "
                "without saying when: nobody knows what 'respond' means. Write what to do and "
                "on what grounds, e.g. 'Go to the door; if the person threatens, call 112' "
                "('skjønn' needs criteria)",
            )


def rule_accept_within(f: OfficeFile) -> Iterator[Finding]:
    low, high = ACCEPT_WITHIN_S
    for loc, role in all_roles(f):
        if not low <= role.accept_within_s <= high:
            yield error(
                (*loc, "accept_within_s"),
                f"{role.accept_within_s} s: the accept deadline must be between {low} and "
                f"{high} seconds; after it the role goes to the next person",
            )


def rule_contact(f: OfficeFile) -> Iterator[Finding]:
    for loc, role in all_roles(f):
        if role.contact is not None and role.stance not in (None, Stance.EXTERNAL_CONTACT):
            yield error(
                (*loc, "contact"),
                f"role {role.id!r} has `contact: {role.contact.value}` but stance "
                f"{role.stance.value}: `contact` says whom an external_contact role calls; "
                "give it stance external_contact or remove `contact`",
            )
