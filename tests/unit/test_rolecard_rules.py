"""The role-card language rules: one failing example per rule, with its message and its line."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.config.loader import OfficeFileError, Problem, Severity, hash_token, load_office_text
from app.config.rules.roles import is_discretionary
from app.config.rules.safety import people_pulled
from app.config.rules.scenarios import base_card
from app.config.schema import OfficeFile
from app.config.yamlpos import Tree
from app.core.office import (
    AssembleAssignment,
    AssessorAssignment,
    Contact,
    FirstToClaimAssignment,
    GuardAssignment,
    Stance,
)

H = [hash_token(f"secret-{n}") for n in range(6)]

BASE = f"""\
format: rollekort/office-v1
office:
  id: nav-y
  name: NAV Y
  max_people_per_alarm: 4
police:
  eta_min: 90
  far_after_min: 30
guard:
  company: Vakt AS
  on_duty: [open]
  people: [gunn]
agencies:
  - id: library
    name: Biblioteket
    contact: Skranken
time_windows:
  open:
    - days: [mon, tue, wed, thu, fri]
      from: "09:00"
      to: "15:00"
reception:
  public: true
  floor_hosts: true
intervention_policy:
  text: Ingen forventes å gripe inn fysisk.
locations:
  - id: reception
    name: Mottak
    zone: public
  - id: room-1
    name: Samtalerom
    zone: conversation_room
  - id: back
    name: Bakland
    zone: back_office
people:
  - id: lise
    name: Lise
  - id: per
    name: Per
  - id: gunn
    name: Gunn
  - id: ola
    name: Ola
  - id: kari
    name: Kari
handsets:
  - id: hs-lise
    person: lise
    token_sha256: {H[0]}
  - id: hs-per
    person: per
    token_sha256: {H[1]}
  - id: hs-gunn
    person: gunn
    token_sha256: {H[2]}
  - id: hs-ola
    person: ola
    token_sha256: {H[3]}
devices:
  - id: desk-1
    kind: fixed
    location: reception
  - id: room-1-button
    kind: fixed
    location: room-1
  - id: worn-1
    kind: worn
    location: reception
    holder: kari
delegations:
  - from_person: lise
    to_person: per
    from: 2026-07-01
    to: 2026-07-31
rolecard:
  version: v1
  presser:
    stance: withdraw_to
    at: back
    steps:
      - Ivareta deg selv først.
  roles:
    - id: guard
      title: Vekter
      stance: approach
      accept_within_s: 15
      assignment:
        mode: guard
        deputies: [per]
      steps:
        - Gå til alarmstedet.
    - id: leader
      title: Leder
      stance: assess_from_door
      leader: true
      accept_within_s: 20
      assignment:
        mode: named
        holder: lise
        deputies: [per]
      steps:
        - Gå til døra og se inn.
    - id: police
      title: Politikontakt
      stance: external_contact
      contact: police
      accept_within_s: 20
      assignment:
        mode: named
        holder: per
        deputies: [ola]
      steps:
        - Ring 112 straks ved vold eller våpen.
    - id: neighbours
      title: Nabohjelp
      stance: external_contact
      contact: neighbour
      agencies: [library]
      required: false
      accept_within_s: 30
      assignment:
        mode: first_to_claim
      steps:
        - Ring biblioteket.
    - id: bystanders
      title: Andre brukere
      stance: protect_bystanders
      required: false
      accept_within_s: 30
      assignment:
        mode: first_to_claim
        among: [ola, per]
      steps:
        - Få andre brukere ut av mottaket.
  variants:
    - id: after-hours
      name: Etter stengetid
      when:
        windows: [after_hours]
      drop: [bystanders]
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def position(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def problems_of(text: str) -> list[Problem]:
    try:
        return list(load_office_text(text, "t.yaml").warnings)
    except OfficeFileError as err:
        return err.problems


def the_problem(text: str, fragment: str) -> Problem:
    found = [p for p in problems_of(text) if fragment in p.message]
    assert len(found) == 1, f"{fragment!r} in {[str(p) for p in problems_of(text)]}"
    return found[0]


def model_of(text: str) -> OfficeFile:
    return OfficeFile.model_validate(Tree("t.yaml").parse(text))


def test_base_is_valid_and_builds_the_core_office() -> None:
    loaded = load_office_text(BASE)
    assert loaded.warnings == ()
    office = loaded.office
    facts = office.facts
    assert facts.police is not None and facts.police.far
    assert facts.guard is not None and facts.guard.on_duty.windows == ("open",)
    assert facts.reception.public and facts.reception.floor_hosts
    assert facts.intervention_policy is not None
    assert facts.intervention_policy.physical_intervention_expected is False
    assert [a.id for a in facts.agencies] == ["library"]
    assert facts.timezone == "Europe/Oslo"
    assert office.delegations[0].to_person == "per"
    card = office.rolecard
    assert card.role("guard").assignment == GuardAssignment(("per",))
    assert card.role("police").contact is Contact.POLICE
    assert card.role("bystanders").assignment == FirstToClaimAssignment(among=("ola", "per"))
    assert card.presser.stance is Stance.WITHDRAW_TO and card.presser.at == "back"
    assert [v.id for v in card.variants] == ["after-hours"]


# --- one failing example per rule --------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    old: str
    new: str
    fragment: str  # part of the expected message
    needle: str  # where the problem must point: the start of this text in the edited file
    nth: int = 1
    severity: Severity = Severity.ERROR
    base_edit: tuple[str, str] | None = None  # applied to BASE before the edit under test
    base_edit2: tuple[str, str] | None = None


SIX_LEADERS = "".join(
    f"""\
    - id: extra-{n}
      title: Leder {n}
      stance: assemble_at
      accept_within_s: 20
      assignment: {{mode: first_to_claim}}
      steps: [Møt i bakland.]
"""
    for n in range(1, 4)
)
ASSEMBLY = """\
    - id: everyone
      title: Alle andre
      stance: assemble_at
      required: false
      accept_within_s: 30
      assignment: {mode: assemble}
      steps: [Samles i bakland.]
"""
CASES = [
    Case("discretionary only", "        - Gå til alarmstedet.\n",
         "        - Consider whether to go into the situation.\n"
         "        - Vurder om du skal gå inn.\n",
         "only says to use discretion ('Consider whether to go into the situation.')", "steps:",
         nth=2),
    Case("nobody left alone", "      stance: approach\n", "      stance: withdraw_to\n",
         "someone would be left alone (alenearbeid): in the role card the person who pressed "
         "withdraws, but no required role approaches or assesses from the door, for fixed "
         "trigger 'desk-1' in Mottak (every alarm)", "roles:", nth=1,
         base_edit=("      stance: assess_from_door\n", "      stance: assemble_at\n")),
    Case("nobody left alone in a variant", "      drop: [bystanders]\n",
         "      drop: [bystanders, guard, leader]\n",
         "in variant 'after-hours' (Etter stengetid) the person who pressed withdraws",
         "id: after-hours"),
    Case("leader dropped in a variant", "      drop: [bystanders]\n", "      drop: [leader]\n",
         "variant 'after-hours' (Etter stengetid) has no leader role", "id: after-hours"),
    Case("police far, no police contact", "      contact: police\n", "      contact: agency\n",
         "police may need 90 min to arrive (more than 30) and there is no police-contact role "
         "(politikontakt)", "eta_min: 90"),
    Case("police far, title hint", "      contact: police\n", "",
         "(role 'police' looks like one: give it `contact: police`)", "eta_min: 90"),
    Case("police far, no local help", "      contact: neighbour\n", "      contact: police\n",
         "no local-help role (naboer/samlokaliserte tjenester)", "eta_min: 90"),
    Case("police far, variant drops the contact", "      drop: [bystanders]\n",
         "      drop: [police]\n", "but variant 'after-hours' (Etter stengetid) has no "
         "police-contact role", "id: after-hours"),
    Case("public reception, no bystander role", "      stance: protect_bystanders\n",
         "      stance: assemble_at\n", "the reception is public but no role protects bystanders",
         "public: true"),
    Case("public zone, no bystander role", "reception:\n  public: true\n", "reception:\n",
         "this location is public (publikumsmottak) but no role protects bystanders",
         "zone: public", base_edit=("      stance: protect_bystanders\n",
                                    "      stance: assemble_at\n")),
    Case("variant drops bystanders in open hours", "        windows: [after_hours]\n",
         "        windows: [open]\n", "but variant 'after-hours' (Etter stengetid) drops the "
         "protect_bystanders role, and applies to fixed trigger 'desk-1' in Mottak",
         "id: after-hours"),
    Case("no intervention policy", "intervention_policy:\n  text: Ingen forventes å gripe inn "
         "fysisk.\n", "", "no `intervention_policy`: write the office's policy on physical "
         "intervention", "office:"),
    Case("empty intervention policy", "  text: Ingen forventes å gripe inn fysisk.\n",
         '  text: "  "\n', "the intervention policy text is empty", "text:"),
    Case("too many people", "  max_people_per_alarm: 4\n", "  max_people_per_alarm: 4\n",
         "one alarm pulls 6 people from work (required roles) but the office maximum is 4",
         "max_people_per_alarm", severity=Severity.WARNING,
         base_edit=("  variants:\n", SIX_LEADERS + "  variants:\n")),
    Case("floor hosts without worn triggers",
         "  - id: worn-1\n    kind: worn\n    location: reception\n    holder: kari\n", "",
         "the office has floor hosts (svevere/publikumsverter) but no worn triggers",
         "floor_hosts", severity=Severity.WARNING),
    Case("guard role without deputy", "        mode: guard\n        deputies: [per]\n",
         "        mode: guard\n", "required role 'guard' has no deputy (vara): when no guard is "
         "on duty (or the guard does not accept) it goes straight to everyone present",
         "assignment:", severity=Severity.WARNING),
    Case("assessor without deputy", "        mode: named\n        holder: lise\n        "
         "deputies: [per]\n", "        mode: assessor\n        holder: lise\n",
         "required role 'leader' has no deputy (vara): if the holder is absent",
         "assignment:", nth=2, severity=Severity.WARNING,
         base_edit=("  variants:\n", ASSEMBLY + "  variants:\n")),
    Case("contact on a role that is not external", "      stance: protect_bystanders\n",
         "      stance: protect_bystanders\n      contact: neighbour\n",
         "role 'bystanders' has `contact: neighbour` but stance protect_bystanders",
         "contact: neighbour", nth=2),
    Case("first to claim with among and pool", "        among: [ola, per]\n",
         "        among: [ola, per]\n        pool: back\n",
         "give `among` (people) or `pool`, not both", "assignment:", nth=5,
         base_edit=("rolecard:\n", "pools:\n  back: [ola, per]\nrolecard:\n")),
    Case("first to claim among nobody", "among: [ola, per]", "among: []",
         "`among` is empty", "among: []"),
    Case("guard mode without a guard", "guard:\n  company: Vakt AS\n  on_duty: [open]\n  "
         "people: [gunn]\n", "", "role 'guard' is held by the guard, but the file names no "
         "guard", "assignment:"),
    Case("assessor without assembly", "        mode: named\n        holder: lise\n",
         "        mode: assessor\n        holder: lise\n", "one assessor needs everyone else "
         "told where to gather: add a role with `mode: assemble`", "assignment:", nth=2),
    Case("assessor and all respond", "        mode: first_to_claim\n      steps:\n",
         "        mode: all_respond\n      steps:\n", "choose one: a single assessor while the "
         "rest assemble, or everyone responds ('alle ut i mottak'), not both", "assignment:",
         nth=4, base_edit=("  variants:\n", ASSEMBLY + "  variants:\n"),
         base_edit2=("        mode: named\n        holder: lise\n",
                     "        mode: assessor\n        holder: lise\n")),
    Case("assembly that approaches", "  variants:\n",
         ASSEMBLY.replace("stance: assemble_at", "stance: approach") + "  variants:\n",
         "role 'everyone' gathers everyone without another role; it cannot approach",
         "stance: approach", nth=2),
    Case("unknown timezone", "  name: NAV Y\n", "  name: NAV Y\n  timezone: Europe/Olso\n",
         "unknown timezone 'Europe/Olso' (did you mean 'Europe/Oslo'?)", "timezone"),
    Case("max people below one", "max_people_per_alarm: 4", "max_people_per_alarm: 0",
         "0: at least 1 person", "max_people_per_alarm"),
    Case("empty period", 'to: "15:00"', 'to: "09:00"', "from 09:00 to 09:00 is empty",
         'to: "09:00"'),
    Case("delegation ends before it starts", "to: 2026-07-31", "to: 2026-06-30",
         "ends 2026-06-30 before it starts 2026-07-01", "to: 2026-06-30"),
    Case("delegation to oneself", "to_person: per", "to_person: lise",
         "'lise' cannot act for themselves", "to_person: lise"),
    Case("overlapping delegations", "rolecard:\n", "  - {from_person: lise, to_person: ola, "
         "from: 2026-07-15, to: 2026-08-15}\nrolecard:\n", "overlaps delegations[0] for 'lise'",
         "{from_person: lise"),
    Case("delegations both ways", "rolecard:\n", "  - {from_person: per, to_person: lise, "
         "from: 2026-07-15, to: 2026-07-16}\nrolecard:\n", "'per' and 'lise' would act for "
         "each other (delegations[0])", "{from_person: per"),
    Case("variant that applies to everything", "      when:\n        windows: [after_hours]\n",
         "      when: {}\n", "has an empty `when`: it would apply to every alarm", "when: {}"),
    Case("variant that changes nothing", "      drop: [bystanders]\n", "",
         "variant 'after-hours' changes nothing", "id: after-hours"),
    Case("unknown window", "windows: [after_hours]", "windows: [evening]",
         "unknown window 'evening': not defined under `time_windows`", "evening"),
    Case("unknown agency", "agencies: [library]", "agencies: [libary]",
         "unknown agency 'libary': not defined under `agencies` (did you mean 'library'?)",
         "libary"),
    Case("unknown role dropped", "drop: [bystanders]", "drop: [bystander]",
         "unknown role 'bystander': not defined under `rolecard.roles`", "bystander]"),
    Case("unknown place to withdraw to", "    at: back\n", "    at: backoffice\n",
         "unknown location 'backoffice'", "at: backoffice"),
    Case("unknown guard", "people: [gunn]", "people: [gun]", "unknown person 'gun'", "gun]"),
    Case("unknown site", "    zone: back_office\n", "    zone: back_office\n    site: annex\n",
         "unknown site 'annex': not defined under `sites` (sites is empty)", "site: annex"),
    Case("duplicate role in a variant", "      drop: [bystanders]\n",
         "      drop: [bystanders]\n      roles:\n" + "".join(
             "        - {id: x, title: X, stance: approach, accept_within_s: 20, "
             "assignment: {mode: named, holder: ola, deputies: [per]}, steps: [Gå.]}\n"
             for _ in range(2)),
         "duplicate role id 'x' in variant 'after-hours': also rolecard.variants[0].roles[0].id",
         "id: x,", nth=2),
    Case("acting leader without a handset", "to_person: per", "to_person: kari",
         "'kari' has no handset", "to_person: kari", severity=Severity.WARNING),
    Case("pool size differs from its roles", "rolecard:\n",
         "pools:\n  back:\n    members: [ola, per]\n    size: 2\nrolecard:\n",
         "pool 'back' has size 2 but no roles draw from it", "size: 2",
         severity=Severity.WARNING),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rule_reports_message_and_place(case: Case) -> None:
    text = _apply(case)
    problem = the_problem(text, case.fragment)
    assert problem.severity is case.severity, str(problem)
    assert (problem.line, problem.column) == position(text, case.needle, case.nth), str(problem)


def _apply(case: Case) -> str:
    text = BASE
    for extra in (case.base_edit, case.base_edit2):
        if extra:
            text = edit(*extra, text=text)
    return edit(case.old, case.new, text)


# --- the discretionary heuristic ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "discretionary"),
    [
        ("Consider whether to go into the situation.", True),
        ("Vurder om du skal gå inn i situasjonen.", True),
        ("Hvis nødvendig, ring politiet.", True),
        ("Help the colleague if needed.", True),
        ("Ved behov: hent en kollega.", True),
        ("Decide whether to call the police.", True),
        ("Bruk eget skjønn: etter eget skjønn.", True),
        ("Vurder om du skal gå inn hvis personen truer.", False),
        ("Consider going in when the person raises their voice.", False),
        ("Decide whether to call the police; at once on any weapon.", False),
        ("Ved behov, ring 112.", False),
        ("Gå til døra mellom bakland og mottak.", False),
        ("Avgjør om politiet trengs, og si fra til politikontakten.", True),
    ],
)
def test_is_discretionary(step: str, discretionary: bool) -> None:
    assert is_discretionary(step) is discretionary


def test_a_role_with_one_concrete_step_is_not_refused() -> None:
    text = edit(
        "        - Gå til alarmstedet.\n",
        "        - Consider whether to go in.\n        - Gå til døra.\n",
    )
    assert not [p for p in problems_of(text) if "discretion" in p.message]


# --- how many people one alarm pulls -----------------------------------------------------------


def test_people_pulled_counts_required_roles_pools_and_all_respond() -> None:
    model = model_of(BASE)
    assert people_pulled(model, base_card(model)) == 3  # guard, leader, police
    pooled = edit(
        "rolecard:\n", "pools:\n  back: {members: [ola, per, lise], size: 3}\nrolecard:\n"
    )
    pooled = edit(
        "        mode: first_to_claim\n      steps:\n",
        "        mode: pool\n        pool: back\n      steps:\n",
        pooled,
    )
    pooled = edit("      required: false\n      accept_within_s: 30\n      assignment:\n        "
                  "mode: pool", "      accept_within_s: 30\n      assignment:\n        mode: pool",
                  pooled)  # fmt: skip
    model = model_of(pooled)
    assert people_pulled(model, base_card(model)) == 3 + 3  # the pool counts its size
    everyone = edit("        mode: guard\n        deputies: [per]\n", "        mode: all_respond\n")
    model = model_of(everyone)
    assert people_pulled(model, base_card(model)) == 4  # everyone with a handset


def test_assembling_staff_do_not_count() -> None:
    text = edit("  variants:\n", ASSEMBLY.replace("      required: false\n", "") + "  variants:\n")
    model = model_of(text)
    assert people_pulled(model, base_card(model)) == 3


# --- the new shapes in the file ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "fragment", "needle"),
    [
        ('from: "09:00"', 'from: "9:00"', "'9:00' is not a time: write \"HH:MM\"", "from:"),
        ('to: "15:00"', "to: 15", "expected text: put the value in quotes", "to: 15"),
        ("days: [mon, tue", "days: [man, tue", "'man' is not allowed here: use 'mon'", "man"),
        ('      from: "09:00"', '      form: "09:00"', "unknown field 'form' (did you mean "
         "'from'?)", 'form: "09:00"'),
        ("on_duty: [open]", "on_duty: sometimes", "'sometimes' is not allowed here: use "
         "'always' or 'never'", "on_duty"),
        ("on_duty: [open]", "on_duty: [{from: '18:00', too: '06:00'}]", "unknown field 'too' "
         "(did you mean 'to'?)", "too"),
        ("from: 2026-07-01", "from: 1. juli", "expected a date: write it as 2026-07-01",
         "from: 1. juli"),
        ("contact: police", "contact: politi", "'politi' is not allowed here: use 'police', "
         "'neighbour', 'guard_company' or 'agency'", "contact: politi"),
        ("        mode: guard\n", "        mode: vakt\n", "unknown mode 'vakt': one of named, "
         "pool, first_to_claim, all_respond, assessor, assemble, guard", "assignment:"),
        ("rolecard:\n", "pools:\n  back: {members: [ola], size: many}\nrolecard:\n",
         "expected a whole number", "size: many"),
        ("rolecard:\n", "pools:\n  back: {members: [ola], sise: 1}\nrolecard:\n",
         "unknown field 'sise' (did you mean 'size'?)", "sise"),
        ("        windows: [after_hours]\n", "        windows: [after_hours]\n        day: mon\n",
         "unknown field 'day'", "day: mon"),
    ],
)  # fmt: skip
def test_new_fields_are_checked_where_they_are_written(
    old: str, new: str, fragment: str, needle: str
) -> None:
    text = edit(old, new)
    problem = the_problem(text, fragment)
    assert (problem.line, problem.column) == position(text, needle), str(problem)


def test_a_pool_member_is_found_in_either_pool_shape() -> None:
    for pools in ("back: [ola, pär]", "back: {members: [ola, pär], size: 2}"):
        text = edit("rolecard:\n", f"pools:\n  {pools}\nrolecard:\n")
        problem = the_problem(text, "unknown person 'pär'")
        assert (problem.line, problem.column) == position(text, "pär]")


def test_new_modes_reach_the_core() -> None:
    text = edit("  variants:\n", ASSEMBLY + "  variants:\n")
    text = edit("        mode: named\n        holder: lise\n",
                "        mode: assessor\n        holder: lise\n", text)  # fmt: skip
    card = load_office_text(text).office.rolecard
    assessor = card.role("leader").assignment
    assert assessor == AssessorAssignment("lise", ("per",))
    assert isinstance(assessor, AssessorAssignment) and assessor.chain == ("lise", "per")
    assert card.role("everyone").assignment == AssembleAssignment()
    assert card.role("neighbours").agency_ids == ("library",)
