// The console's learning page (#/learning/<office id>): how the alarm worked over a period, per
// office and role (real alarms and drills apart, incidents without an alarm), and the office's
// outreach (home visits) by status and time. Never per person: no names, no places visited.
// API: GET /api/v1/offices/{id}/statistics?from&to, GET /api/v1/offices/{id}/outreach.

import { fmtDateTime, fmtSeconds, h } from './dom.js';
import { t, tv } from './i18n.js';
import './i18n-learning.js';
import { getJson } from './console-api.js';
import { failure, say } from './console-write.js';

const DAY_MS = 86400000;
const lv = { officeId: null, me: null, root: null, stats: null, sessions: null, error: null, from: null, to: null };

const isoDate = (d) => d.toISOString().slice(0, 10);

export function mountLearning(root, me, officeId) {
  const fresh = lv.officeId !== officeId || lv.me !== me;
  Object.assign(lv, { root, me });
  if (fresh) {
    const to = new Date();
    Object.assign(lv, { officeId, stats: null, sessions: null, error: null,
      from: isoDate(new Date(to.getTime() - 365 * DAY_MS)), to: isoDate(new Date(to.getTime() + DAY_MS)) });
    load();
  }
  paint();
}

async function load() {
  const id = lv.officeId;
  const base = `/api/v1/offices/${encodeURIComponent(id)}`;
  const period = `from=${encodeURIComponent(`${lv.from}T00:00:00Z`)}&to=${encodeURIComponent(`${lv.to}T00:00:00Z`)}`;
  try {
    const [stats, sessions] = await Promise.all([
      getJson(`${base}/statistics?${period}`), getJson(`${base}/outreach`).catch(() => null)]);
    if (id !== lv.officeId) return;
    Object.assign(lv, { stats, sessions, error: null });
  } catch (err) {
    if (id !== lv.officeId) return;
    lv.error = failure(err);
  }
  paint();
}

function periodForm() {
  return h('form', { class: 'row period', 'data-testid': 'period', onsubmit: (ev) => {
    ev.preventDefault();
    lv.from = ev.target.elements.from.value || lv.from;
    lv.to = ev.target.elements.to.value || lv.to;
    load();
  } },
  h('label', { for: 'l-from', text: t('s.from') }), h('input', { id: 'l-from', name: 'from', type: 'date', value: lv.from }),
  h('label', { for: 'l-to', text: t('s.to') }), h('input', { id: 'l-to', name: 'to', type: 'date', value: lv.to }),
  h('button', { type: 'submit', class: 'btn btn-secondary', 'data-testid': 'period-apply' }, t('s.apply')));
}

const spread = (s) => (s.count ? `${fmtSeconds(s.median_s)} (n=${s.count})` : '–');

function modeTable() {
  const s = lv.stats;
  const row = (key, f) => h('tr', { 'data-testid': `stat-${key}` }, h('th', { scope: 'row', text: t(`s.row.${key}`) }),
    h('td', { class: 'num', 'data-testid': 'real', text: f(s.real) }), h('td', { class: 'num', 'data-testid': 'drill', text: f(s.drill) }));
  return h('table', { class: 'table', 'data-testid': 'stats-modes' },
    h('thead', {}, h('tr', {}, h('td', {}), h('th', { scope: 'col', text: t('s.real') }), h('th', { scope: 'col', text: t('s.drill') }))),
    h('tbody', {},
      row('alarms', (m) => String(m.alarms)), row('resolved', (m) => String(m.resolved)),
      row('cancelled', (m) => String(m.cancelled)), row('open', (m) => String(m.open)),
      row('firstAccept', (m) => spread(m.time_to_first_accept)), row('allClear', (m) => spread(m.time_to_all_clear))));
}

function roleTable() {
  const roles = new Map();
  for (const mode of ['real', 'drill']) for (const r of lv.stats[mode].roles) roles.set(`${mode}|${r.role_id}`, { mode, ...r });
  if (!roles.size) return h('p', { class: 'empty', text: t('s.noRoles') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'stats-roles' },
    h('thead', {}, h('tr', {}, ['role', 'mode', 'alarms', 'taken', 'unclaimed', 'accept'].map((k) => h('th', { scope: 'col', text: t(`s.col.${k}`) })))),
    h('tbody', {}, [...roles.values()].map((r) => h('tr', { 'data-testid': 'stats-role', 'data-role-id': r.role_id, 'data-mode': r.mode },
      h('th', { scope: 'row', text: r.role_id }), h('td', { text: r.mode === 'real' ? t('s.real') : t('s.drill') }),
      h('td', { class: 'num', text: String(r.alarms) }), h('td', { class: 'num', text: String(r.taken) }),
      h('td', { class: `num${r.unclaimed ? ' warn' : ''}`, text: String(r.unclaimed) }),
      h('td', { class: 'num', text: spread(r.time_to_accept) }))))));
}

function statistics() {
  const s = lv.stats;
  const box = h('section', { class: 'panel', 'data-testid': 'statistics', 'aria-labelledby': 'stats-h' },
    h('h2', { id: 'stats-h', text: t('s.heading') }), h('p', { class: 'hint', text: t('s.hint') }), periodForm());
  if (!s) return box;
  const kinds = Object.entries(s.incidents.by_kind);
  box.append(modeTable(), h('h3', { text: t('s.roles') }), roleTable(), h('h3', { text: t('s.incidents') }),
    h('p', { 'data-testid': 'incidents', text: kinds.length
      ? `${s.incidents.total}: ${kinds.map(([k, n]) => `${tv('s.incident', k)} ${n}`).join(', ')}` : t('s.noIncidents') }));
  return box;
}

function outreach() {
  const box = h('section', { class: 'panel', 'data-testid': 'outreach', 'aria-labelledby': 'outreach-h' },
    h('h2', { id: 'outreach-h', text: t('u.heading') }), h('p', { class: 'hint', text: t('u.hint') }));
  const list = lv.sessions;
  if (list === null) return box;
  if (!list.length) {
    box.append(h('p', { class: 'empty', 'data-testid': 'no-outreach', text: t('u.none') }));
    return box;
  }
  const now = Date.now();
  const counts = {};
  for (const s of list) counts[s.status] = (counts[s.status] || 0) + 1;
  const overdue = list.filter((s) => s.status === 'active' && Date.parse(s.checkout_due_at) < now).length;
  box.append(h('p', { 'data-testid': 'outreach-counts' },
    Object.entries(counts).map(([k, n]) => `${tv('u.status', k)}: ${n}`).join(' · '),
    overdue ? h('strong', { class: 'warn', text: ` · ${t('u.overdue', { n: overdue })}` }) : null));
  box.append(h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'outreach-table' },
    h('thead', {}, h('tr', {}, ['status', 'started', 'due', 'checkin', 'alarm'].map((k) => h('th', { scope: 'col', text: t(`u.col.${k}`) })))),
    h('tbody', {}, list.map((s) => h('tr', { 'data-testid': 'outreach-row', 'data-status': s.status },
      h('td', { text: tv('u.status', s.status) }), h('td', { text: fmtDateTime(s.started_at) }),
      h('td', { text: fmtDateTime(s.checkout_due_at) }), h('td', { text: s.last_checkin_at ? fmtDateTime(s.last_checkin_at) : '–' }),
      h('td', {}, s.alarm_id ? h('a', { href: `#/alarm/${encodeURIComponent(s.alarm_id)}`, text: tv('u.reason', s.alarm_reason) }) : '–')))))));
  return box;
}

function paint() {
  if (!lv.root) return;
  const office = lv.me.offices.find((o) => o.office_id === lv.officeId);
  lv.root.replaceChildren(
    h('p', {}, h('a', { href: `#/office/${encodeURIComponent(lv.officeId)}`, 'data-testid': 'back', text: t('l.back') })),
    h('h2', { class: 'office-title', 'data-testid': 'learning-title', text: t('l.title', { office: office?.name || lv.officeId }) }),
    h('p', { class: 'error', role: 'alert', 'data-testid': 'learning-error', text: say(lv.error) }),
    statistics(), outreach());
}
