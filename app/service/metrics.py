"""Prometheus metrics for every queue, latency and error path, on a registry per app instance."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_FAST = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self._intake_metrics(r)
        self._handset_metrics(r)
        self._dispatch_metrics(r)
        self._outcome_metrics(r)
        self._alerting_metrics(r)

    def _intake_metrics(self, r: CollectorRegistry) -> None:
        """Presses taken in over MQTT: counted, rejected, repaired, duplicated, tested."""
        self.mqtt_messages = Counter(
            "rollekort_mqtt_messages_total", "MQTT messages taken in", ["kind"], registry=r
        )
        self.mqtt_rejected = Counter(
            "rollekort_mqtt_rejected_total", "MQTT messages rejected", ["reason"], registry=r
        )
        self.mqtt_repaired = Counter(
            "rollekort_mqtt_fields_dropped_total",
            "Bad optional fields dropped from a trigger that was kept",
            ["field"],
            registry=r,
        )
        self.duplicates = Counter(
            "rollekort_duplicate_presses_total", "Redelivered presses ignored", registry=r
        )
        self.alarms = Counter(
            "rollekort_alarms_raised_total", "Alarms raised", ["office_id", "mode"], registry=r
        )
        self.button_tests = Counter(
            "rollekort_button_tests_total", "Routine button tests recorded", registry=r
        )

    def _handset_metrics(self, r: CollectorRegistry) -> None:
        """Handset connections and the commands they send."""
        self.commands_refused = Counter(
            "rollekort_commands_refused_total", "Handset commands refused", ["code"], registry=r
        )
        self.ws_bad_frames = Counter(
            "rollekort_ws_bad_frames_total", "Malformed handset frames", registry=r
        )
        self.handsets = Gauge("rollekort_handsets_connected", "Handsets connected now", registry=r)
        self.ws_queue_overflow = Counter(
            "rollekort_ws_queue_overflow_total", "Handsets dropped for a full queue", registry=r
        )

    def _dispatch_metrics(self, r: CollectorRegistry) -> None:
        """The press path: decision and commit latency, the journal, open alarms."""
        self.dispatch_seconds = Histogram(
            "rollekort_dispatch_seconds",
            "Press taken in to offers queued",
            buckets=_FAST,
            registry=r,
        )
        self.commit_seconds = Histogram(
            "rollekort_commit_seconds",
            "Press taken in to alarm committed",
            buckets=_FAST,
            registry=r,
        )
        self.journal_backlog = Gauge(
            "rollekort_journal_backlog", "Decisions waiting to be written", registry=r
        )
        self.open_alarms = Gauge("rollekort_open_alarms", "Open alarms", registry=r)
        self.leader = Gauge(
            "rollekort_leader", "1 on the replica that leads (takes presses), else 0", registry=r
        )

    def _outcome_metrics(self, r: CollectorRegistry) -> None:
        """Coverage, offers, time to the first accept, and component health."""
        self.coverage_degraded = Gauge(
            "rollekort_coverage_degraded",
            "1 while an office's coverage is DEGRADED",
            ["office_id"],
            registry=r,
        )
        self.offers = Counter(
            "rollekort_offers_total", "Role offers pushed to handsets", ["office_id"], registry=r
        )
        self.first_accept_seconds = Histogram(
            "rollekort_first_accept_seconds",
            "Press to the first role accepted in an alarm",
            ["office_id"],
            buckets=(1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300),
            registry=r,
        )
        self.component_up = Gauge(
            "rollekort_component_up",
            "1 while a component /readyz checks is healthy (database, broker), at each scrape",
            ["component"],
            registry=r,
        )

    def _alerting_metrics(self, r: CollectorRegistry) -> None:
        """What the alert rules watch beyond the above (deploy/prometheus/rollekort-rules.yml).
        Two are read at each scrape from whoever owns the number (wired by
        app.compose.dispatch): the journal's own failure count, and the unfilled roles of the
        open alarms, so neither needs a hook in the code that changes them."""
        self.offers_unconfirmed = Counter(
            "rollekort_offers_unconfirmed_total",
            "Offers no phone confirmed in time (OfferNotDelivered): the role moved on",
            ["office_id"],
            registry=r,
        )
        self.journal_failures: Callable[[], int] = lambda: 0
        self.roles_unfilled: Callable[[], Mapping[str, int]] = dict
        r.register(_ReadAtScrape(self))


class _ReadAtScrape(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "rollekort_journal_write_failures",
            "Journal writes that failed and are being retried (the database is down or busy)",
            value=self._metrics.journal_failures(),
        )
        unfilled = GaugeMetricFamily(
            "rollekort_roles_unfilled",
            "Roles of open alarms that nobody is left to be offered (RoleUnfilled)",
            labels=["office_id"],
        )
        for office_id, count in sorted(self._metrics.roles_unfilled().items()):
            unfilled.add_metric([office_id], count)
        yield unfilled
