"""The sign-in mapping: the provider's groups or claims to one role and its offices."""

from __future__ import annotations

import pytest

from app.config.signin import SignInMappingError, parse_mapping
from app.core.access import Role
from app.core.claims import principal_from_claims

SERVED = ["a", "b", "c"]
RULES = parse_mapping(
    """
rules:
  - {value: viewers-a-b, role: viewer, offices: [a, b]}
  - {value: coordinators-a, role: coordinator, offices: [a]}
  - {claim: roles, value: Rollekort.Admin, role: admin, offices: ["*"]}
  - {value: coordinators-gone, role: coordinator, offices: [closed-office]}
"""
)


def test_a_group_gives_its_role_in_its_offices() -> None:
    who = principal_from_claims({"groups": ["viewers-a-b"]}, RULES, SERVED, "u1")
    assert who is not None
    assert (who.role, who.offices, who.by) == (Role.VIEWER, frozenset({"a", "b"}), "user:u1")


def test_the_highest_role_wins_and_keeps_only_its_own_offices() -> None:
    claims = {"groups": ["viewers-a-b", "coordinators-a"]}
    who = principal_from_claims(claims, RULES, SERVED, "u1")
    assert who is not None
    assert (who.role, who.offices) == (Role.COORDINATOR, frozenset({"a"}))


def test_an_app_role_claim_as_a_string_and_a_star_for_every_office() -> None:
    who = principal_from_claims({"roles": "Rollekort.Admin"}, RULES, SERVED, "u1")
    assert who is not None
    assert (who.role, who.offices) == (Role.ADMIN, frozenset(SERVED))


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"groups": ["someone-else"]},
        {"groups": "viewers-a-b-and-more"},
        {"groups": ["coordinators-gone"]},  # an office this service does not serve
        {"groups": {"viewers-a-b": True}},  # not a string or a list
    ],
)
def test_no_matching_rule_no_principal(claims: dict[str, object]) -> None:
    assert principal_from_claims(claims, RULES, SERVED, "u1") is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("rules: []", "rules"),
        ("rules: [{value: x, role: staff, offices: [a]}]", "rules.0.role"),
        ("rules: [{value: x, role: viewer, offices: []}]", "rules.0.offices"),
        ("rules: [{value: x, role: viewer, offices: [a], office: b}]", "rules.0.office"),
        ("rules: [{value: x, role: viewer", "not YAML"),
    ],
)
def test_a_bad_mapping_file_is_refused_with_where(text: str, where: str) -> None:
    with pytest.raises(SignInMappingError, match=where.replace(".", r"\.")):
        parse_mapping(text, "sign-in.yaml")
