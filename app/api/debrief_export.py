"""The debrief as CSV (one row per timeline event) and as a printable, self-contained HTML page."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.api.debrief_model import Debrief

#: The alarm id is in every row, so files of several alarms can be put together and still say
#: which alarm a row belongs to (the file name alone is lost on the first copy-paste).
CSV_COLUMNS = (
    "alarm_id",
    "seq",
    "at",
    "seconds_since_press",
    "type",
    "actor",
    "role",
    "person",
    "detail",
)


def _cell(value: object) -> str:
    """A spreadsheet must not run a free text (a decline reason, a help text) as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(debrief: Debrief) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in debrief.events:
        since = "" if e.since_press_s is None else f"{e.since_press_s:.3f}"
        persons = "; ".join(e.persons)
        writer.writerow(
            [debrief.alarm.alarm_id, e.seq, e.at.isoformat(), since, e.type]
            + [_cell(v) for v in (e.actor, e.role_id, persons, e.detail)]
        )
    return out.getvalue()


_TEXT = {
    "nb": {
        "title": "Debrief",
        "facts": "Alarmen",
        "office": "Kontor",
        "where": "Sted",
        "level": "Nivå",
        "mode": "Type",
        "pressed": "Trykket",
        "closed": "Avsluttet",
        "outcome": "Utfall",
        "duration": "Varighet",
        "repeats": "Trykk igjen",
        "first_accept": "Trykk → første som tok en rolle",
        "card": "Rollekortversjon",
        "times": "Tider per rolle",
        "role": "Rolle",
        "holder": "Tatt av",
        "person": "Person",
        "to_offer": "Trykk → tilbud",
        "to_accept": "Tilbud → tatt",
        "to_step": "Tatt → første steg",
        "steps": "Steg",
        "deviations": "Avvik fra rollekortet",
        "none": "Ingen avvik.",
        "timeline": "Tidslinje",
        "time": "Tid",
        "event": "Hendelse",
        "actor": "Hvem",
        "detail": "Detaljer",
        "chain": "Siste hendelses kjedehash",
        "printed": "Laget",
        "nobody": "ingen",
        "late": "sent",
        "required": "påkrevd",
        "drill": "ØVELSE – IKKE REELL ALARM",
        "test": "TEST – IKKE REELL ALARM",
        "real": "Reell alarm",
        "open": "pågår",
        "resolved": "løst (alt klart)",
        "cancelled": "avbrutt",
        "unfilled": "Ingen var igjen å spørre",
        "not_taken": "Påkrevd rolle ikke tatt før slutt",
        "late_accept": "Tatt etter fristen",
        "declined": "Avslått",
        "timed_out": "Ikke besvart i tide",
        "cancelled_dev": "Alarmen ble avbrutt",
    },
    "en": {
        "title": "Debrief",
        "facts": "The alarm",
        "office": "Office",
        "where": "Location",
        "level": "Level",
        "mode": "Kind",
        "pressed": "Pressed",
        "closed": "Closed",
        "outcome": "Outcome",
        "duration": "Duration",
        "repeats": "Pressed again",
        "first_accept": "Press → first role taken",
        "card": "Role card version",
        "times": "Times per role",
        "role": "Role",
        "holder": "Taken by",
        "person": "Person",
        "to_offer": "Press → offer",
        "to_accept": "Offer → accept",
        "to_step": "Accept → first step",
        "steps": "Steps",
        "deviations": "Deviations from the role card",
        "none": "No deviations.",
        "timeline": "Timeline",
        "time": "Time",
        "event": "Event",
        "actor": "Who",
        "detail": "Details",
        "chain": "Hash chain of the last event",
        "printed": "Generated",
        "nobody": "nobody",
        "late": "late",
        "required": "required",
        "drill": "DRILL – NOT A REAL ALARM",
        "test": "TEST – NOT A REAL ALARM",
        "real": "Real alarm",
        "open": "open",
        "resolved": "resolved (all clear)",
        "cancelled": "cancelled",
        "unfilled": "Nobody left to ask",
        "not_taken": "Required role not taken by the end",
        "late_accept": "Accepted after the deadline",
        "declined": "Declined",
        "timed_out": "Not answered in time",
        "cancelled_dev": "The alarm was cancelled",
    },
}

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;color:#111;background:#fff;margin:24px;max-width:1000px}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.15rem;margin:22px 0 6px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #888;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#e8e8e8}td.num{text-align:right;
font-variant-numeric:tabular-nums}.mode{display:inline-block;padding:4px 10px;font-weight:800;
border:3px solid #000}.mode-drill{background:#ffd400}.mode-test{background:#e0d0f5}
.dev{color:#8a0000;font-weight:700}.late{color:#8a0000;font-weight:700}
.muted{color:#444}code{font-size:.85em;word-break:break-all}
@media print{body{margin:0}a{color:#000}}
"""


def _fmt_time(value: datetime | None, tz: ZoneInfo | None) -> str:
    if value is None:
        return "–"
    return (value.astimezone(tz) if tz else value).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_repeats(n: int, first: datetime | None, last: datetime | None, tz: ZoneInfo | None) -> str:
    if not n or first is None or last is None:
        return "0"
    return f"{n} ({_fmt_time(first, tz)} – {_fmt_time(last, tz)})"


def _fmt_s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def to_html(debrief: Debrief, lang: str, timezone: str | None, now: datetime) -> str:
    t = _TEXT.get(lang, _TEXT["nb"])
    tz = _zone(timezone)
    a, s = debrief.alarm, debrief.summary
    e = escape
    mode = f'<p class="mode mode-{e(a.mode)}" data-testid="mode">{e(t.get(a.mode, a.mode))}</p>'
    facts = [
        (t["office"], a.office_name),
        (t["where"], f"{a.location_name} ({a.zone or '–'})"),
        (t["level"], a.level),
        (t["pressed"], _fmt_time(s.press_at, tz)),
        (t["closed"], _fmt_time(s.closed_at, tz)),
        (t["outcome"], t.get(s.outcome, s.outcome)),
        (t["duration"], _fmt_s(s.duration_s)),
        (t["repeats"], _fmt_repeats(s.repeats, s.first_repeat_at, s.last_repeat_at, tz)),
        (t["first_accept"], _fmt_s(s.press_to_first_accept_s)),
        (t["card"], a.rolecard_version),
    ]
    fact_rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
    time_rows = _role_time_rows(debrief, t)
    devs = _deviation_items(debrief, t)
    events = _event_rows(debrief)
    last_hash = debrief.events[-1].hash if debrief.events else "–"
    return f"""<!doctype html>
<html lang="{e(lang if lang in _TEXT else "nb")}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(t["title"])} {e(a.alarm_id)}</title><style>{_CSS}</style></head>
<body><h1>{e(t["title"])}: {e(a.location_name)}, {e(a.office_name)}</h1>
<p class=muted><code>{e(a.alarm_id)}</code></p>{mode}
<h2>{e(t["facts"])}</h2><table data-testid="facts">{fact_rows}</table>
<h2>{e(t["times"])}</h2><table data-testid="role-times"><tr><th>{e(t["role"])}</th>
<th>{e(t["holder"])}</th><th>{e(t["to_offer"])}</th><th>{e(t["to_accept"])}</th>
<th>{e(t["to_step"])}</th><th>{e(t["steps"])}</th></tr>{time_rows}</table>
<h2>{e(t["deviations"])}</h2><ul data-testid="deviations">{devs}</ul>
<h2>{e(t["timeline"])}</h2><table data-testid="timeline"><tr><th>#</th><th>{e(t["time"])}</th>
<th>{e(t["event"])}</th><th>{e(t["actor"])}</th><th>{e(t["role"])}</th><th>{e(t["person"])}</th>
<th>{e(t["detail"])}</th></tr>{events}</table>
<p class=muted>{e(t["chain"])}: <code>{e(last_hash)}</code><br>
{e(t["printed"])}: {e(_fmt_time(now, tz))}</p></body></html>
"""


def _role_time_rows(debrief: Debrief, t: dict[str, str]) -> str:
    e = escape
    return "".join(
        "<tr><td>{}{}</td><td>{}</td><td class=num>{}</td><td class=num>{}</td>"
        "<td class=num>{}</td><td class=num>{}/{}</td></tr>".format(
            e(r.title),
            f" <span class=muted>({e(t['required'])})</span>" if r.required else "",
            e(r.holder) if r.holder else f"<span class=dev>{e(t['nobody'])}</span>",
            _fmt_s(r.press_to_offer_s),
            _fmt_s(r.offer_to_accept_s)
            + (f" <span class=late>{t['late']}</span>" if r.late else ""),
            _fmt_s(r.accept_to_first_step_s),
            len(r.steps_done),
            r.steps_total,
        )
        for r in debrief.role_times
    )


def _deviation_items(debrief: Debrief, t: dict[str, str]) -> str:
    e = escape
    return (
        "".join(
            "<li class=dev>{} – {}{}{}</li>".format(
                e(_fmt_s(d.since_press_s)),
                e(t["cancelled_dev"] if d.kind == "cancelled" else t.get(d.kind, d.kind)),
                f": {e(d.role_title or d.role_id or '')}" if d.role_id else "",
                f" ({e(', '.join(d.persons))})" if d.persons else "",
            )
            for d in debrief.deviations
        )
        or f"<li>{e(t['none'])}</li>"
    )


def _event_rows(debrief: Debrief) -> str:
    e = escape
    return "".join(
        f"<tr><td class=num>{ev.seq}</td><td class=num>{_fmt_s(ev.since_press_s)}</td>"
        f"<td>{e(ev.type)}</td><td>{e(ev.actor_name)}</td><td>{e(ev.role_id or '')}</td>"
        f"<td>{e('; '.join(ev.persons))}</td><td>{e(ev.detail)}</td></tr>"
        for ev in debrief.events
    )
