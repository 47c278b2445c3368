"""The shipped alert rules (deploy/prometheus/rollekort-rules.yml) watch series the service really
exports: a renamed metric or label would leave an alert that can never fire, silently. Checked
twice: every name and label matcher in every expression against the service's registry
(app/service/metrics.py), and with Prometheus's own `promtool` (syntax, templates, and the cases
in rollekort-rules.test.yml) when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.service.metrics import Metrics
from tests.conftest import ROOT

RULES = ROOT / "deploy" / "prometheus" / "rollekort-rules.yml"
CASES = ROOT / "deploy" / "prometheus" / "rollekort-rules.test.yml"
PROMTOOL = shutil.which("promtool")
TARGET_LABELS = {"job", "instance"}
PROMETHEUS_OWN = {"up": set()}  # series Prometheus itself writes for each target
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def exported() -> dict[str, set[str]]:
    """Every series name the service can export, with the labels it may carry."""
    series: dict[str, set[str]] = {}
    metrics = Metrics()
    for metric in vars(metrics).values():
        kind = getattr(metric, "_type", None)
        if kind not in SUFFIXES:
            continue
        for suffix in SUFFIXES[kind]:
            extra = {"le"} if suffix == "_bucket" else set()
            series[metric._name + suffix] = set(metric._labelnames) | extra
    # The series read at each scrape from their owners (journal failures, unfilled roles).
    metrics.roles_unfilled = lambda: {"an-office": 0}
    for family in metrics.registry.collect():
        for sample in family.samples:
            series.setdefault(sample.name, set()).update(sample.labels)
    return series


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(series name, label names matched) for each series an expression reads."""
    expr = re.sub(r'"[^"]*"', '""', expr)
    groupings = re.findall(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr
    )
    grouped = {label.strip() for g in groupings for label in g.split(",") if label.strip()}
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # ranges
    found = []
    for match in re.finditer(r"([a-zA-Z_:][\w:]*)\s*(\{([^}]*)\})?\s*(\()?", expr):
        name, _, matchers, call = match.groups()
        if call or name in KEYWORDS or re.fullmatch(r"\d+\w*", name):
            continue
        labels = set(re.findall(r"(\w+)\s*(?:=|!=|=~|!~)", matchers or ""))
        found.append((name, labels))
    found.append(("__grouping__", grouped))
    return found


def test_every_rule_reads_only_series_and_labels_the_service_exports() -> None:
    series = {**exported(), **PROMETHEUS_OWN}
    assert "rollekort_leader" in series, "the replica role gauge is what most rules watch"
    every_label = set().union(*series.values()) | TARGET_LABELS
    for rule in rules():
        for name, labels in selectors(rule["expr"]):
            if name == "__grouping__":
                unknown = labels - every_label
                assert not unknown, f"{rule['alert']} groups by unknown labels {unknown}"
                continue
            assert name in series, f"{rule['alert']} reads {name}, which nothing exports"
            unknown = labels - series[name] - TARGET_LABELS
            assert not unknown, f"{rule['alert']} matches {name} on unknown labels {unknown}"


def test_every_alert_has_a_severity_and_says_what_happened() -> None:
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))
    for rule in rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


@pytest.mark.skipif(PROMTOOL is None, reason="promtool missing (Debian package prometheus)")
def test_promtool_accepts_the_rules() -> None:
    done = subprocess.run([str(PROMTOOL), "check", "rules", str(RULES)], capture_output=True)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


@pytest.mark.skipif(PROMTOOL is None, reason="promtool missing (Debian package prometheus)")
def test_the_rules_fire_on_failures_and_not_on_a_healthy_standby(tmp_path: Path) -> None:
    """The cases in rollekort-rules.test.yml, on the rules without their annotations (promtool
    compares annotations too; their templates are checked by `promtool check rules`)."""
    groups = yaml.safe_load(RULES.read_text())
    for group in groups["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / RULES.name).write_text(yaml.safe_dump(groups))
    shutil.copy(CASES, tmp_path / CASES.name)
    done = subprocess.run(
        [str(PROMTOOL), "test", "rules", CASES.name], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
