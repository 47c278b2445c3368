"""The validator's rules, in the order they run: small pure functions over a parsed office file."""

from __future__ import annotations

from collections.abc import Sequence

from app.config.rules.assignment import (
    rule_assessor_and_assembly,
    rule_deputies,
    rule_deputy_for_required,
    rule_first_to_claim,
    rule_guard_mode,
    rule_holders_have_handsets,
    rule_pool_size,
)
from app.config.rules.base import Finding, Rule, Severity, error, format_loc, warning
from app.config.rules.facts import (
    rule_cancel_window,
    rule_delegations,
    rule_numbers,
    rule_periods,
    rule_sharing,
    rule_timezone,
    rule_variant_conditions,
)
from app.config.rules.mqtt import rule_mqtt
from app.config.rules.references import (
    rule_api_tokens_this_office,
    rule_id_format,
    rule_references_resolve,
    rule_trigger_holder,
    rule_unique_ids,
)
from app.config.rules.roles import (
    rule_accept_within,
    rule_contact,
    rule_discretionary_only,
    rule_leader_role,
    rule_stance,
    rule_steps,
)
from app.config.rules.safety import (
    rule_bystanders,
    rule_floor_hosts_worn,
    rule_help_when_police_far,
    rule_intervention_policy,
    rule_nobody_left_alone,
    rule_people_per_alarm,
)
from app.config.rules.tokens import rule_token_form, rule_tokens_unique
from app.config.schema import OfficeFile

__all__ = ["RULES", "Finding", "Rule", "Severity", "check", "error", "format_loc", "warning"]

RULES: tuple[Rule, ...] = (
    rule_id_format,
    rule_unique_ids,
    rule_references_resolve,
    rule_api_tokens_this_office,
    rule_leader_role,
    rule_stance,
    rule_steps,
    rule_discretionary_only,
    rule_accept_within,
    rule_contact,
    rule_cancel_window,
    rule_timezone,
    rule_numbers,
    rule_sharing,
    rule_periods,
    rule_delegations,
    rule_variant_conditions,
    rule_deputies,
    rule_deputy_for_required,
    rule_pool_size,
    rule_first_to_claim,
    rule_guard_mode,
    rule_assessor_and_assembly,
    rule_holders_have_handsets,
    rule_token_form,
    rule_tokens_unique,
    rule_trigger_holder,
    rule_nobody_left_alone,
    rule_help_when_police_far,
    rule_bystanders,
    rule_intervention_policy,
    rule_people_per_alarm,
    rule_floor_hosts_worn,
    rule_mqtt,
)


def check(f: OfficeFile, rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Every finding of every rule, in rule order; the file is usable if none is an error."""
    return [finding for rule in rules for finding in rule(f)]
