"""The sign-in mapping file: which of the identity provider's groups or claims give which role
in which offices (ROLLEKORT_OIDC_MAPPING; format in docs/sign-in.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.access import Role
from app.core.claims import RoleRule


class SignInMappingError(ValueError):
    """The mapping file cannot be used; the message says where and why."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    claim: str = Field("groups", min_length=1, max_length=100)
    value: str = Field(min_length=1, max_length=500)
    role: Literal["admin", "coordinator", "viewer"]
    offices: list[str] = Field(min_length=1)


class _Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[_Rule] = Field(min_length=1)


def parse_mapping(text: str, source: str = "<mapping>") -> tuple[RoleRule, ...]:
    """The rules of a mapping file's text; SignInMappingError when it is not valid."""
    try:
        data = yaml.safe_load(text)
        model = _Mapping.model_validate(data)
    except yaml.YAMLError as err:
        raise SignInMappingError(f"{source}: not YAML: {err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SignInMappingError(f"{source}: {where}: {first['msg']}") from None
    return tuple(
        RoleRule(rule.claim, rule.value, Role(rule.role), frozenset(rule.offices))
        for rule in model.rules
    )


def load_mapping(path: Path) -> tuple[RoleRule, ...]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise SignInMappingError(f"{path}: cannot read: {err.strerror}") from None
    return parse_mapping(text, str(path))
