"""The validator's public face: `check(file)` runs the rules of `app.config.rules` in order."""

from __future__ import annotations

from app.config.rules import RULES, Finding, Rule, Severity, check, error, format_loc, warning

__all__ = ["RULES", "Finding", "Rule", "Severity", "check", "error", "format_loc", "warning"]
