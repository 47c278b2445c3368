// The readiness panel of the console's office page ("Beredskap"): is the office covered now
// (OK / DEGRADED, the reasons, the buttons not tested lately), is a drill overdue, how many
// debriefs are open (the oldest first), start and end a drill, and the last drills' scorecards.
// Roles and numbers only, never persons (docs/learning.md, "Roles, never people").
// API: GET /api/v1/offices/{id}/coverage, …/readiness, …/drills, …/debriefs; POST …/drills,
// POST …/drills/{drill_id}/end.

import { fmtDateTime, fmtSeconds, fmtTime, h } from './dom.js';
import { locale, t, tcParts, tv } from './i18n.js';
import { getJson } from './console-api.js';
import { failure, msg, say, send } from './console-write.js';

const REFRESH_MS = 10000;
const DRILL_MIN = 30;
const LAST_DRILLS = 5;
const rd = {
  me: null, officeId: null, root: null, ctx: null, parts: null,
  coverage: null, readiness: null, drills: [], debriefs: [],
  status: null, error: null, loadError: null, timer: null, busy: false, loaded: false,
};

const base = () => `/api/v1/offices/${encodeURIComponent(rd.officeId)}`;

function fmtDate(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleDateString(locale(), { year: 'numeric', month: '2-digit', day: '2-digit' });
}

/** A coverage problem in the page's language; its parameters (devices, places, roles) as given. */
function problemText(p) {
  const parts = tcParts(`coverage.${p.code}`, p.params);
  return parts.length ? parts.map((x) => (typeof x === 'string' ? x : h('span', { translate: 'no', text: x.value }))) : p.code;
}

/** Draw the panel into `root`; (re)load when the office or the signed-in token changed. */
export function mountReadiness(root, ctx) {
  const fresh = rd.me !== ctx.me || rd.officeId !== ctx.officeId;
  if (fresh) {
    clearTimeout(rd.timer);
    Object.assign(rd, {
      me: ctx.me, officeId: ctx.officeId, coverage: null, readiness: null, drills: [], debriefs: [],
      status: null, error: null, loadError: null, loaded: false,
    });
  }
  rd.root = root;
  rd.ctx = ctx;
  rd.parts = {
    status: h('p', { class: 'live-status', role: 'status', 'data-testid': 'readiness-status' }),
    error: h('p', { class: 'error', role: 'alert', 'data-testid': 'readiness-error' }),
    body: h('div'),
  };
  root.replaceChildren(
    h('div', { class: 'panel-head' },
      h('h2', { id: 'readiness-h', text: t('b.heading') }),
      h('button', {
        type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'readiness-refresh',
        'aria-label': t('b.refreshLabel'), onclick: () => refresh(),
      }, t('o.refresh'))),
    rd.parts.status, rd.parts.error, rd.parts.body,
  );
  paint();
  refresh();
}

function paint() {
  const { parts } = rd;
  if (!parts) return;
  const focusKey = rd.root.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  parts.status.textContent = say(rd.status);
  const error = rd.error || rd.loadError;
  parts.error.textContent = say(error);
  parts.error.hidden = !error;
  if (!rd.loaded) {
    parts.body.replaceChildren(h('p', { class: 'empty', text: t('b.loading') }));
    return;
  }
  parts.body.replaceChildren(
    h('div', { class: 'ready-grid' }, coverageBox(), cardBox(), drillBox(), debriefBox()),
    scorecards(),
  );
  if (focusKey) parts.body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function coverageBox() {
  const c = rd.coverage;
  const box = h('section', { class: 'ready-box', 'data-testid': 'coverage', 'aria-labelledby': 'rd-cov-h' },
    h('h3', { id: 'rd-cov-h', text: t('b.coverage') }));
  if (!c) {
    box.append(h('p', { class: 'empty', text: t('b.coverageUnknown') }));
    return box;
  }
  const ok = c.status === 'ok';
  box.dataset.status = c.status;
  box.append(h('p', {},
    h('span', { class: `cov-badge cov-${ok ? 'ok' : 'degraded'}`, 'data-testid': 'coverage-status', 'data-status': c.status },
      tv('b.cov', c.status)),
    ' ', h('span', { text: ok ? t('b.coverageOk') : t('b.coverageDegraded') })));
  if (c.reasons.length) {
    // as codes in the page's language (docs/protocol.md, "Texts as codes"); English from an old service
    const coded = Array.isArray(c.problems) && c.problems.length === c.reasons.length;
    box.append(h('ul', { class: 'reasons', 'data-testid': 'coverage-reasons', lang: coded ? null : 'en' },
      c.reasons.map((r, i) => h('li', { 'data-testid': 'coverage-reason', 'data-code': coded ? c.problems[i].code : null },
        coded ? problemText(c.problems[i]) : r))));
  }
  if (c.untested.length) {
    box.append(
      h('p', { class: 'warn', text: t('b.untested', { days: c.untested_days, n: c.untested.length }) }),
      h('ul', { class: 'untested', 'data-testid': 'untested' },
        c.untested.map((d) => h('li', { 'data-testid': 'untested-device', 'data-device-id': d }, h('code', { text: d })))),
    );
  } else {
    box.append(h('p', { class: 'ok', 'data-testid': 'all-tested', text: t('b.allTested', { days: c.untested_days }) }));
  }
  return box;
}

/** The card in force (req. 31): days since it was last reviewed (a version activated), how many
 * have not acknowledged it, the required roles the briefed cannot fill and those with nobody
 * present now. Counts and role titles, never names. */
function cardBox() {
  const r = rd.readiness;
  const box = h('section', { class: 'ready-box', 'data-testid': 'card-readiness', 'aria-labelledby': 'rd-card-h' },
    h('h3', { id: 'rd-card-h', text: t('b.card') }));
  if (!r || !r.card_version) return box;
  const days = r.days_since_card_review;
  box.append(
    h('p', { class: r.card_review_due ? 'warn' : 'ok', 'data-testid': 'card-review', 'data-days': days ?? '',
      text: `${r.card_review_due ? '⚠ ' : ''}${t(r.card_review_due ? 'b.cardDue' : 'b.cardAge', { v: r.card_version, days: days ?? 0 })}` }),
    h('p', { class: r.unbriefed ? 'warn' : 'ok', 'data-testid': 'unbriefed', 'data-count': r.unbriefed,
      text: r.unbriefed ? t('b.unbriefed', { n: r.unbriefed }) : t('b.allBriefed') }));
  if (r.briefing_gaps?.length) {  // the validator's sentences, in English
    box.append(h('p', { class: 'warn', text: t('b.briefingGaps') }),
      h('ul', { 'data-testid': 'briefing-gaps', lang: 'en' }, r.briefing_gaps.map((g) => h('li', { text: g }))));
  }
  if (r.roles_unstaffed?.length) {
    box.append(h('p', { class: 'warn', 'data-testid': 'roles-without-holder' }, `${t('b.noHolder')} `,
      h('span', { translate: 'no', text: r.roles_unstaffed.join(', ') })));
  }
  return box;
}

function drillBox() {
  const r = rd.readiness;
  const box = h('section', { class: 'ready-box', 'data-testid': 'drill-readiness', 'aria-labelledby': 'rd-drill-h' },
    h('h3', { id: 'rd-drill-h', text: t('b.drills') }));
  if (!r) return box;
  if (r.drill_open) {
    box.append(h('p', { class: 'drill-open', 'data-testid': 'drill-open', 'data-drill-id': r.drill_open.drill_id },
      h('span', { class: 'mode-tag mode-drill', text: tv('modeShort', 'drill') }), ' ',
      t('b.drillOpen', { time: fmtTime(r.drill_open.until) })));
  } else if (r.drill_overdue) {
    const text = r.last_drill_at
      ? t('b.overdue', { days: r.days_overdue ?? 0, date: fmtDate(r.next_drill_due) })
      : t('b.overdueNever');
    box.append(h('p', { class: 'overdue', 'data-testid': 'drill-overdue', 'data-days': r.days_overdue ?? '', text: `⚠ ${text}` }));
  } else {
    box.append(h('p', { class: 'ok', 'data-testid': 'drill-due', text: t('b.nextDue', { date: fmtDate(r.next_drill_due) }) }));
  }
  box.append(
    h('p', { 'data-testid': 'last-drill', text: r.last_drill_at
      ? t('b.lastDrill', { date: fmtDate(r.last_drill_at), days: r.days_since_last_drill ?? 0 })
      : t('b.noDrillYet') }),
    h('p', { class: 'hint', 'data-testid': 'drill-cadence', text: t(r.cadence_set ? 'b.cadence' : 'b.cadenceDefault', { n: r.drill_cadence_months }) }),
  );
  if (rd.ctx.canWrite) {
    const open = r.drill_open;
    box.append(h('button', {
      type: 'button', class: `btn ${open ? 'btn-danger' : 'btn-primary'}`,
      'data-testid': open ? 'drill-end' : 'drill-start', 'data-focus-key': 'drill-toggle',
      'aria-label': open ? t('b.endLabel') : t('b.startLabel', { min: DRILL_MIN }),
      disabled: rd.busy, onclick: open ? endDrill : startDrill,
    }, open ? t('b.end') : t('b.start', { min: DRILL_MIN })));
  }
  return box;
}

function debriefBox() {
  const r = rd.readiness;
  const box = h('section', { class: 'ready-box', 'data-testid': 'debriefs', 'aria-labelledby': 'rd-deb-h' },
    h('h3', { id: 'rd-deb-h', text: t('b.debriefs') }));
  if (!r) return box;
  const n = r.open_debriefs;
  box.append(h('p', { class: n ? 'warn' : 'ok', 'data-testid': 'open-debriefs', 'data-count': n,
    text: n ? t('b.openDebriefs', { n, date: fmtDate(r.oldest_open_debrief_at) }) : t('b.noOpenDebriefs') }));
  const open = rd.debriefs.filter((d) => d.status === 'open')
    .sort((a, b) => Date.parse(a.alarm.raised_at) - Date.parse(b.alarm.raised_at));
  if (open.length) {
    box.append(h('ol', { class: 'debrief-list', 'data-testid': 'open-debrief-list' }, open.map((d) => h('li', {
      'data-testid': 'open-debrief', 'data-debrief-id': d.debrief_id,
    }, h('a', { href: `#/debrief/${encodeURIComponent(d.debrief_id)}`, 'data-testid': 'open-debrief-link',
      text: t('b.debriefLine', { date: fmtDateTime(d.alarm.raised_at), where: d.alarm.location_id || '–' }) })))));
  }
  return box;
}

function scorecards() {
  const list = rd.drills.slice(0, LAST_DRILLS);
  const wrap = h('section', { 'data-testid': 'scorecards', 'aria-labelledby': 'rd-sc-h' },
    h('h3', { id: 'rd-sc-h', class: 'section-h', text: t('b.scorecards') }));
  if (!list.length) {
    wrap.append(h('p', { class: 'empty', 'data-testid': 'no-drills', text: t('b.noDrills') }));
    return wrap;
  }
  const head = ['started', 'state', 'alarms', 'firstAccept', 'allClear', 'notTaken', 'change']
    .map((k) => h('th', { scope: 'col', text: t(`b.col.${k}`) }));
  wrap.append(h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'scorecard-table' },
    h('thead', {}, h('tr', {}, head)), h('tbody', {}, list.map(scoreRow)))));
  return wrap;
}

function scoreRow(d) {
  const s = d.scorecard || {};
  const change = d.comparison?.first_accept_change_s;
  const changeText = change === null || change === undefined
    ? '–'
    : t(change <= 0 ? 'b.faster' : 'b.slower', { d: fmtSeconds(Math.abs(change)) });
  const notTaken = s.roles_not_taken || [];
  return h('tr', { 'data-testid': 'scorecard', 'data-drill-id': d.drill_id, 'data-open': d.open ? 'true' : 'false' },
    h('td', { text: fmtDateTime(d.started_at) }),
    h('td', { text: d.open ? t('b.state.open') : t('b.state.ended') }),
    h('td', { class: 'num', 'data-testid': 'sc-alarms', text: String(s.alarms ?? 0) }),
    h('td', { class: 'num', 'data-testid': 'sc-first-accept', text: fmtSeconds(s.time_to_first_accept_s) }),
    h('td', { class: 'num', text: fmtSeconds(s.time_to_all_clear_s) }),
    h('td', { 'data-testid': 'sc-not-taken', class: notTaken.length ? 'count-error' : '' },
      notTaken.length ? notTaken.flatMap((r, i) => [i ? ', ' : '', h('code', { text: r })]) : t('b.allTaken')),
    h('td', { text: changeText }));
}

async function startDrill() {
  await act(() => send('POST', `${base()}/drills`, { duration_min: DRILL_MIN }),
    (d) => msg('b.started', { time: fmtTime(d.planned_end) }));
}

async function endDrill() {
  const id = rd.readiness?.drill_open?.drill_id;
  if (!id) return;
  await act(() => send('POST', `${base()}/drills/${encodeURIComponent(id)}/end`, {}), () => msg('b.ended'));
}

async function act(call, done) {
  if (rd.busy) return;
  rd.busy = true;
  try {
    rd.status = done(await call());
    rd.error = null;
  } catch (err) {
    rd.error = failure(err);
  } finally {
    rd.busy = false;
  }
  await refresh();
}

/** Fetch everything again; again in a while, only while the page shows. */
async function refresh() {
  clearTimeout(rd.timer);
  const officeId = rd.officeId;
  const [coverage, readiness, drills, debriefs] = await Promise.allSettled([
    getJson(`${base()}/coverage`),
    getJson(`${base()}/readiness`),
    getJson(`${base()}/drills`),
    getJson(`${base()}/debriefs`),
  ]);
  if (officeId !== rd.officeId) return;
  rd.coverage = coverage.status === 'fulfilled' ? coverage.value : null;
  rd.readiness = readiness.status === 'fulfilled' ? readiness.value : null;
  rd.drills = drills.status === 'fulfilled' ? drills.value : [];
  rd.debriefs = debriefs.status === 'fulfilled' ? debriefs.value : [];
  const failed = [readiness, drills, debriefs].find((r) => r.status === 'rejected');
  rd.loadError = failed ? failure(failed.reason) : null;
  rd.loaded = true;
  paint();
  const showing = rd.root?.isConnected && !rd.root.closest('[hidden]');
  if (showing) rd.timer = setTimeout(refresh, REFRESH_MS);
}
