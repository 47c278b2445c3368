"""One vocabulary for who may do what: the principal's scope and role, and the one HTTP check."""

from __future__ import annotations

import pytest

from app.api.auth import authorize
from app.api.errors import ApiError
from app.core.access import READERS, STAFF_AND_WRITERS, WRITERS, Principal, Role


def test_roles_are_the_office_files_roles_plus_staff() -> None:
    assert {r.value for r in READERS} == {"admin", "coordinator", "viewer"}
    assert WRITERS < READERS and Role.STAFF in STAFF_AND_WRITERS - READERS


def test_a_token_is_refused_outside_its_offices_before_its_role_is_asked() -> None:
    viewer = Principal(Role.VIEWER, frozenset({"a"}), "abcd1234")
    authorize(viewer, "a")  # reading its own office
    authorize(viewer, "a", READERS)
    with pytest.raises(ApiError) as outside:
        authorize(viewer, "b", READERS)
    assert outside.value.status == 403 and "does not cover office 'b'" in outside.value.message
    with pytest.raises(ApiError) as role:
        authorize(viewer, "a", WRITERS, "manage handsets")
    assert (
        role.value.status == 403 and role.value.message == "role 'viewer' may not manage handsets"
    )


def test_records_name_a_principal_by_pseudonym_never_by_name() -> None:
    token = Principal(Role.COORDINATOR, frozenset({"a"}), "abcd1234")
    staff = Principal(Role.STAFF, frozenset({"a"}), handset_id="hs-1", person_id="lise")
    assert (token.by, token.signed) == ("token:abcd1234", "coordinator (token abcd1234)")
    assert staff.by == "handset:hs-1" and "lise" not in staff.by + staff.signed
