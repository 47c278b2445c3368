"""The office file: the demo loads, and every mistake is reported at the line where it was made."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config.loader import (
    LoadedOffice,
    OfficeFileError,
    Problem,
    Severity,
    hash_token,
    load_office_file,
    load_office_text,
)
from app.config.schema import OfficeFile
from app.config.validator import RULES, Finding, check, error
from app.core.office import Contact, Gesture, Level, NamedAssignment, Stance, TriggerKind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
H1, H2, H3 = (hash_token(f"secret-{n}") for n in (1, 2, 3))

BASE = f"""\
format: rollekort/office-v1
office:
  id: nav-x
  name: NAV X
locations:
  - id: reception
    name: Mottak
    zone: public
people:
  - id: lise
    name: Lise
  - id: per
    name: Per
handsets:
  - id: hs-lise
    person: lise
    token_sha256: {H1}
  - id: hs-per
    person: per
    token_sha256: {H2}
devices:
  - id: desk-1
    kind: fixed
    location: reception
  - id: worn-1
    kind: worn
    location: reception
    holder: lise
api_tokens:
  - token_sha256: {H3}
    role: viewer
    offices: [nav-x]
pools:
  back: [lise, per]
intervention_policy:
  text: Ingen forventes å gripe inn fysisk.
rolecard:
  version: v1
  roles:
    - id: leader
      title: Leder
      stance: approach
      leader: true
      accept_within_s: 20
      assignment:
        mode: named
        holder: lise
        deputies: [per]
      steps:
        - Gå til mottaket.
    - id: helper
      title: Hjelper
      stance: protect_bystanders
      accept_within_s: 30
      assignment:
        mode: pool
        pool: back
      steps:
        - Få andre ut.
"""

EXTRA_POOL_ROLE = """\
    - id: helper-2
      title: Hjelper 2
      stance: external_contact
      accept_within_s: 30
      assignment: {mode: pool, pool: back}
      steps: [Ring politiet.]
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def position(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of needle."""
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def problems_of(text: str) -> list[Problem]:
    """Errors and warnings alike: from the exception, or from a file that loaded."""
    try:
        return list(load_office_text(text, "t.yaml").warnings)
    except OfficeFileError as err:
        return err.problems


def the_problem(text: str, fragment: str) -> Problem:
    found = [p for p in problems_of(text) if fragment in p.message]
    assert len(found) == 1, f"{fragment!r} in {[str(p) for p in problems_of(text)]}"
    return found[0]


@pytest.fixture(scope="module")
def demo() -> LoadedOffice:
    return load_office_file(EXAMPLES / "demo-office.yaml")


# --- the demo office ---------------------------------------------------------------------------


def test_base_text_is_valid() -> None:
    assert load_office_text(BASE).warnings == ()


def test_demo_loads_without_warnings(demo: LoadedOffice) -> None:
    assert demo.warnings == ()
    assert demo.office.id == "demo"
    assert demo.office.demo is True
    assert demo.office.cancel_window_s == 30


def test_demo_people_and_handsets(demo: LoadedOffice) -> None:
    office = demo.office
    assert set(office.people) == {"lise", "per", "gro", "kari"}
    assert {h.id: h.person_id for h in office.handsets.values()} == {
        "hs-lise": "lise",
        "hs-per": "per",
        "hs-gro": "gro",
    }
    assert office.handsets_of("kari") == ()


def test_demo_tokens_are_stored_as_hashes(demo: LoadedOffice) -> None:
    assert dict(demo.handset_tokens) == {
        hash_token("demo-leader"): "hs-lise",
        hash_token("demo-deputy"): "hs-per",
        hash_token("demo-guard"): "hs-gro",
    }
    (api,) = demo.api_tokens
    assert api.token_sha256 == hash_token("demo-coordinator")
    assert (api.role, api.offices) == ("coordinator", ("demo",))


def test_demo_triggers_and_gestures(demo: LoadedOffice) -> None:
    desk, worn = demo.office.triggers["desk-1"], demo.office.triggers["worn-1"]
    assert (desk.kind, desk.location_id, desk.holder_id) == (TriggerKind.FIXED, "reception", None)
    assert desk.level_for(Gesture.SINGLE) is Level.ASSIST
    assert desk.level_for(Gesture.HOLD) is Level.ACUTE
    assert (worn.kind, worn.holder_id, worn.family) == (TriggerKind.WORN, "kari", "native")
    assert demo.office.locations["reception"].zone == "public"


def test_demo_roles(demo: LoadedOffice) -> None:
    card = demo.office.rolecard
    assert card.version == "2026-11-01"
    assert [r.id for r in card.roles] == ["leader", "guard", "police-contact"]
    assert [r.id for r in card.roles if r.leader] == ["leader"]
    assert card.role("leader").assignment == NamedAssignment("lise", ("per",))
    assert card.role("guard").stance is Stance.APPROACH
    assert card.role("police-contact").stance is Stance.EXTERNAL_CONTACT
    for role in card.roles:
        assert [s.n for s in role.steps] == list(range(1, len(role.steps) + 1))
        assert 1 <= len(role.steps) <= 5
        assert 15 <= role.accept_within_s <= 30
    assert {r.id for r in demo.office.standing_roles("per")} == {
        "leader",
        "guard",
        "police-contact",
    }


# --- every rule, with the place it points at ---------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    old: str
    new: str
    fragment: str  # part of the expected message
    needle: str  # where the problem must point: the start of this text in the edited file
    nth: int = 1
    severity: Severity = Severity.ERROR
    base: str = BASE


PERSON_END = "    name: Per\n"
LEADER_STEP = "        - Gå til mottaket.\n"
WITH_KARI = edit(PERSON_END, PERSON_END + "  - id: kari\n    name: Kari\n")
CASES = [
    Case("id format", PERSON_END, PERSON_END + "  - id: ola nordmann\n    name: Ola\n",
         "is not valid: use 1-64 letters", "id: ola nordmann"),
    Case("duplicate id", PERSON_END, PERSON_END + "  - id: per\n    name: Per 2\n",
         "duplicate person id 'per': also people[1].id", "id: per", nth=2),
    Case("handset person", "    person: per\n", "    person: pre\n",
         "unknown person 'pre': not defined under `people` (did you mean 'per'?)", "person: pre"),
    Case("device location", "fixed\n    location: reception", "fixed\n    location: lobby",
         "unknown location 'lobby'", "location: lobby"),
    Case("device holder", "    holder: lise\napi", "    holder: kari\napi",
         "unknown person 'kari'", "holder: kari"),
    Case("pool member", "back: [lise, per]", "back: [lise, pär]", "unknown person 'pär'", "pär"),
    Case("role pool", "pool: back\n", "pool: backoffice\n",
         "unknown pool 'backoffice'", "pool: backoffice"),
    Case("role holder", "holder: lise\n        deputies", "holder: lisa\n        deputies",
         "unknown person 'lisa'", "holder: lisa"),
    Case("api token office", "offices: [nav-x]", "offices: [nav-x, nav-y]",
         "a token here cannot grant access to 'nav-y'", "nav-y"),
    Case("no leader", "      leader: true\n", "",
         "no leader role: someone must be able to give the all-clear", "roles:"),
    Case("no stance", "      stance: approach\n", "",
         "has no stance: say what its holder does with their body (one of: approach, "
         "assess_from_door, assemble_at, withdraw_to, stay_and_guard, protect_bystanders, "
         "external_contact)", "id: leader"),
    Case("no steps", "      steps:\n" + LEADER_STEP, "", "no steps", "id: leader"),
    Case("too many steps", LEADER_STEP, "".join(f"        - Steg {n}.\n" for n in range(1, 8)),
         "7 steps: at most 5", "Steg 6."),
    Case("long step", "Gå til mottaket.", "x" * 201, "step is 201 characters", "xxxx"),
    Case("empty step", "- Gå til mottaket.", '- " "', "empty step", '" "'),
    Case("accept too soon", "accept_within_s: 20", "accept_within_s: 4",
         "must be between 5 and 600 seconds", "accept_within_s: 4"),
    Case("accept too late", "accept_within_s: 30", "accept_within_s: 601",
         "must be between 5 and 600 seconds", "accept_within_s: 601"),
    Case("cancel window", "  name: NAV X\n", "  name: NAV X\n  cancel_window_s: 300\n",
         "cancel window must be between 0 and 120", "cancel_window_s"),
    Case("pool too small", "back: [lise, per]\n", "back: [per]\n",
         "pool 'back' has 1 member but 2 roles draw from it", "back:",
         severity=Severity.WARNING, base=BASE + EXTRA_POOL_ROLE),
    Case("duplicate pool member", "back: [lise, per]", "back: [lise, per, per]",
         "'per' is listed twice in pool 'back'", "per]"),
    Case("own deputy", "deputies: [per]", "deputies: [per, lise]",
         "'lise' is the holder: a holder cannot be their own deputy", "lise]"),
    Case("duplicate deputy", "deputies: [per]", "deputies: [per, per]",
         "'per' is listed twice as deputy", "per]", nth=2),
    Case("required role without deputy", "deputies: [per]", "deputies: []",
         "if the holder is absent the role goes straight to everyone present", "deputies:",
         severity=Severity.WARNING),
    Case("holder without handset", "back: [lise, per]", "back: [lise, per, kari]",
         "'kari' has no handset", "kari]", severity=Severity.WARNING, base=WITH_KARI),
    Case("plaintext token", f"token_sha256: {H1}", "token: s3cret-lise",
         "plaintext tokens are allowed only in demo files (demo: true); store `token_sha256`",
         "token: s3cret"),
    Case("demo token", f"token_sha256: {H1}", "token: demo-leader",
         "tokens starting with 'demo-' are published demo tokens", "token: demo"),
    Case("token and hash", f"token_sha256: {H1}\n", f"token_sha256: {H1}\n    token: x\n",
         "give exactly one of `token_sha256` or `token`", "id: hs-lise"),
    Case("no token", f"    token_sha256: {H1}\n", "", "give exactly one", "id: hs-lise"),
    Case("same token twice", f"token_sha256: {H2}", f"token_sha256: {H1}",
         "same token as handsets[0]: each needs its own", "id: hs-per"),
    Case("handset token reused for the API", f"token_sha256: {H3}", f"token_sha256: {H2}",
         "same token as handsets[1]", "token_sha256: " + H2, nth=2),
    Case("worn without holder", "location: reception\n    holder: lise\n",
         "location: reception\n", "worn trigger 'worn-1' needs a `holder`", "id: worn-1"),
    Case("fixed with holder", "kind: fixed\n    location: reception\n",
         "kind: fixed\n    location: reception\n    holder: per\n",
         "fixed trigger 'desk-1' belongs to its location", "holder: per"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rule_reports_message_and_place(case: Case) -> None:
    text = edit(case.old, case.new, case.base)
    problem = the_problem(text, case.fragment)
    assert problem.severity is case.severity
    assert (problem.line, problem.column) == position(text, case.needle, case.nth)


def test_warnings_alone_do_not_stop_loading() -> None:
    loaded = load_office_text(edit("deputies: [per]", "deputies: []"))
    assert [p.severity for p in loaded.warnings] == [Severity.WARNING]
    assert loaded.office.rolecard.role("leader").assignment == NamedAssignment("lise", ())


def test_pool_too_small_counts_every_role_drawing_from_it() -> None:
    text = BASE + EXTRA_POOL_ROLE
    assert load_office_text(text).warnings == ()
    problem = the_problem(edit("back: [lise, per]\n", "back: []\n", text), "has no members")
    assert "2 roles draw from it" in problem.message


def test_plaintext_tokens_are_fine_in_a_demo_file() -> None:
    text = edit(f"token_sha256: {H1}", "token: demo-leader", "demo: true\n" + BASE)
    loaded = load_office_text(text)
    assert loaded.handset_tokens[hash_token("demo-leader")] == "hs-lise"
    assert loaded.office.demo is True


def test_problems_never_echo_a_token() -> None:
    text = edit(f"token_sha256: {H1}", "token: s3cret-lise")
    assert all("s3cret" not in str(p) for p in problems_of(text))


def test_an_uppercase_hash_is_accepted_and_stored_lowercase() -> None:
    loaded = load_office_text(edit(H1, H1.upper()))
    assert H1 in loaded.handset_tokens


def test_a_malformed_hash_is_refused() -> None:
    text = edit(f"token_sha256: {H1}", "token_sha256: abc123")
    problem = the_problem(text, "must be 64 hexadecimal characters")
    assert (problem.line, problem.column) == position(text, "token_sha256: abc123")


# --- the file itself: syntax, spelling, types --------------------------------------------------


def test_yaml_syntax_error_has_a_line() -> None:
    text = edit("    name: Mottak\n", "    name: Mottak: hoved\n")
    (problem,) = problems_of(text)
    assert "YAML syntax: mapping values are not allowed here" in problem.message
    assert problem.line == position(text, "Mottak: hoved")[0]
    assert str(problem).startswith(f"t.yaml:{problem.line}:")


def test_tabs_get_a_hint() -> None:
    (problem,) = problems_of(edit("    name: Mottak\n", "\tname: Mottak\n"))
    assert "indent with spaces, not tabs" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "fragment", "needle"),
    [
        ("      stance: approach", "      stanse: approach",
         "unknown field 'stanse' (did you mean 'stance'?)", "stanse"),
        ("pools:", "pool:", "unknown field 'pool' (did you mean 'pools'?)", "pool:"),
        ("        holder: lise", "        holdr: lise",
         "unknown field 'holdr' (did you mean 'holder'?)", "holdr"),
        ("    zone: public", "    zone: public\n    floor: 2", "unknown field 'floor' (allowed: ",
         "floor"),
    ],
)  # fmt: skip
def test_misspelt_or_extra_key(old: str, new: str, fragment: str, needle: str) -> None:
    text = edit(old, new)
    problem = the_problem(text, fragment)
    assert (problem.line, problem.column) == position(text, needle)


@pytest.mark.parametrize(
    ("old", "new", "fragment", "needle"),
    [
        ("accept_within_s: 20", "accept_within_s: '20'", "expected a whole number",
         "accept_within_s"),
        ("  id: nav-x", "  id: 12", "expected text: put the value in quotes", "id: 12"),
        ("    name: Lise", "    name:", "empty: give a value", "name:\n"),
        ("zone: public", "zone: pubilc", "'pubilc' is not allowed here: use 'public'", "zone"),
        ("stance: approach", "stance: approch", "'approch' is not allowed here", "stance"),
        ("    kind: fixed", "    kind: fixed\n    gestures: {single: assist, hold: panic}",
         "'panic' is not allowed here: use 'assist' or 'acute'", "hold"),
        ("    kind: fixed", "    kind: fixed\n    gestures: {hodl: acute}",
         "not a valid key: 'hodl' is not allowed here", "hodl"),
        ("        mode: named", "        mode: nmaed", "unknown mode 'nmaed': one of named, pool",
         "assignment:"),
        ("        mode: named\n", "", "missing `mode`: one of named, pool", "assignment:"),
        ("        holder: lise\n", "", "missing required field 'holder'", "assignment:"),
        ("  version: v1\n", "", "missing required field 'version'", "rolecard:"),
        ("offices: [nav-x]", "offices: nav-x", "expected a list", "offices"),
        ("  name: NAV X\n", "  name: NAV X\n  id: again\n", "duplicate key 'id' (first on line 3)",
         "id: again"),
    ],
)  # fmt: skip
def test_wrong_types_and_shapes(old: str, new: str, fragment: str, needle: str) -> None:
    text = edit(old, new)
    problem = the_problem(text, fragment)
    assert (problem.line, problem.column) == position(text, needle)


def test_yes_no_and_dates_stay_text() -> None:
    text = edit("    name: Per\n", "    name: No\n").replace("version: v1", "version: 2026-11-01")
    office = load_office_text(text).office
    assert office.people["per"].name == "No"
    assert office.rolecard.version == "2026-11-01"


def test_yes_is_not_a_boolean() -> None:
    problem = the_problem("demo: yes\n" + BASE, "expected true or false")
    assert (problem.line, problem.path) == (1, "demo")


def test_format_marker_is_required() -> None:
    (problem,) = problems_of(BASE.replace("format: rollekort/office-v1\n", ""))
    assert "starts with `format: rollekort/office-v1`" in problem.message
    (problem,) = problems_of(BASE.replace("office-v1", "office-v9"))
    assert "unsupported format 'rollekort/office-v9'" in problem.message
    assert (problem.line, problem.column) == (1, 1)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n", "just text\n"])
def test_not_an_office_file(text: str) -> None:
    (problem,) = problems_of(text)
    assert "format: rollekort/office-v1" in problem.message


def test_unsupported_tag() -> None:
    text = edit("    name: Per\n", "    name: !!python/name:os.system Per\n")
    assert "unsupported YAML tag" in the_problem(text, "unsupported").message


def test_alias_bomb_is_refused() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    for name, prev in zip("bcdef", "abcde", strict=True):
        bomb += f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
    (problem,) = problems_of(BASE + bomb)
    assert "too large or nested" in problem.message


def test_missing_file() -> None:
    with pytest.raises(OfficeFileError) as info:
        load_office_file(EXAMPLES / "no-such-office.yaml")
    (problem,) = info.value.problems
    assert "cannot read the file" in str(problem)
    assert str(problem).startswith(str(EXAMPLES / "no-such-office.yaml") + ": ")


# --- the deliberately broken example -----------------------------------------------------------


def test_invalid_example_reports_every_marked_mistake_and_nothing_else() -> None:
    path = EXAMPLES / "invalid-office.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    marked = {n for n, line in enumerate(lines, 1) if re.search(r"^\s*[^#\s].*#\s*MISTAKE", line)}
    with pytest.raises(OfficeFileError) as info:
        load_office_file(path)
    reported = {p.line for p in info.value.problems}
    assert reported == marked
    assert len(info.value.errors) >= 10
    assert str(info.value).startswith(f"{len(info.value.errors)} errors in the office file")


# --- the parts ---------------------------------------------------------------------------------


def test_hash_token_is_sha256_hex() -> None:
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hash_token("blåbær") == hash_token("blåbær")
    assert hash_token("a") != hash_token("b")


def test_problem_format() -> None:
    err = Problem(Severity.ERROR, "rolecard.roles[0]", 12, 7, "boom", "office.yaml")
    warn = Problem(Severity.WARNING, "pools.back", 3, 1, "hm", "office.yaml")
    unplaced = Problem(Severity.ERROR, "", None, None, "cannot read", "office.yaml")
    assert str(err) == "office.yaml:12:7: rolecard.roles[0]: boom"
    assert str(warn) == "office.yaml:3:1: pools.back: warning: hm"
    assert str(unplaced) == "office.yaml: cannot read"


def test_rules_are_a_plain_list_of_functions() -> None:
    model = OfficeFile.model_validate(_plain(BASE))

    def rule_always(f: OfficeFile) -> list[Finding]:
        return [error(("office", "name"), f"{f.office.name} is fine")]

    assert check(model) == []
    assert check(model, [*RULES, rule_always]) == [
        Finding(Severity.ERROR, ("office", "name"), "NAV X is fine")
    ]


def _plain(text: str) -> object:
    import yaml

    return yaml.safe_load(text)


# --- the split modules and the demo's office facts ---------------------------------------------


def test_validator_module_still_exports_the_rule_api() -> None:
    from app.config import rules, validator

    assert validator.check is rules.check and validator.RULES is rules.RULES
    assert (validator.Finding, validator.Severity) == (rules.Finding, rules.Severity)
    assert validator.error(("office",), "x") == Finding(Severity.ERROR, ("office",), "x")
    assert validator.warning(("office",), "x").severity is Severity.WARNING
    assert all(callable(rule) and rule.__name__.startswith("rule_") for rule in RULES)


def test_demo_office_facts(demo: LoadedOffice) -> None:
    facts = demo.office.facts
    assert facts.police is not None and (facts.police.eta_min, facts.police.far) == (10, False)
    assert facts.guard is not None and facts.guard.people == ("gro",)
    assert facts.guard.on_duty.always
    assert facts.reception.public is False
    assert facts.intervention_policy is not None
    assert facts.intervention_policy.text.startswith("Ingen forventes")
    assert facts.max_people_per_alarm == 4 and facts.timezone == "Europe/Oslo"
    card = demo.office.rolecard
    assert card.presser.stance is Stance.WITHDRAW_TO and card.presser.at == "back-office"
    assert card.role("police-contact").contact is Contact.POLICE
    assert card.variants == () and demo.office.delegations == ()


def test_a_public_zone_makes_the_reception_public_unless_the_file_says_otherwise() -> None:
    assert load_office_text(BASE).office.facts.reception.public is True
    text = edit("rolecard:\n", "reception:\n  public: false\nrolecard:\n")
    assert load_office_text(text).office.facts.reception.public is False
