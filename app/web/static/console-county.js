// The console's county view (#/county): the readiness of every office the token covers on one
// screen, for a county safety coordinator: drill overdue, the age of the active role card since it
// was activated, coverage now (OK / degraded and how many reasons), buttons not tested lately and
// open debriefs, staff who have not acknowledged the card in force. Sortable by each column; the
// most urgent first by default. A totals row sums the county (req. 31): offices with a drill
// overdue, the oldest card, offices degraded, untested buttons, open debriefs, unbriefed staff.
// API per office: GET …/readiness, …/coverage, …/rolecards (each may be missing: shown as –).

import { h } from './dom.js';
import { t } from './i18n.js';
import './i18n-learning.js';
import { getJson } from './console-api.js';

const DAY_MS = 86400000;
const COLUMNS = ['office', 'drill', 'card', 'coverage', 'untested', 'debriefs', 'unbriefed'];
const cv = { me: null, root: null, rows: null, sort: { key: 'drill', desc: true }, loadedAt: 0 };

export function mountCounty(root, me) {
  const fresh = cv.me !== me || Date.now() - cv.loadedAt > 30000;
  Object.assign(cv, { root, me });
  if (fresh) {
    cv.rows = null;
    cv.loadedAt = Date.now();
    load();
  }
  paint();
}

async function officeRow(o) {
  const base = `/api/v1/offices/${encodeURIComponent(o.office_id)}`;
  const [readiness, coverage, cards] = await Promise.all([
    getJson(`${base}/readiness`).catch(() => null),
    getJson(`${base}/coverage`).catch(() => null),
    getJson(`${base}/rolecards`).catch(() => null)]);
  const active = Array.isArray(cards) ? cards.find((c) => c.status === 'active') : null;
  const since = active?.activated_at || active?.uploaded_at;
  return {
    id: o.office_id,
    name: o.name,
    // days overdue (0 = on time), or null when unknown; "never drilled" counts as very overdue
    drill: !readiness ? null : readiness.drill_overdue ? (readiness.days_overdue ?? 9999) : 0,
    neverDrilled: !!readiness && readiness.drill_overdue && readiness.days_overdue === null,
    card: readiness?.days_since_card_review ?? (since ? Math.floor((Date.now() - Date.parse(since)) / DAY_MS) : null),
    coverage: coverage ? (coverage.status === 'degraded' ? coverage.reasons.length : 0) : null,
    untested: coverage ? coverage.untested.length : null,
    untestedDays: coverage?.untested_days,
    debriefs: readiness ? readiness.open_debriefs : null,
    unbriefed: readiness ? readiness.unbriefed ?? null : null,
  };
}

async function load() {
  const me = cv.me;
  const rows = await Promise.all(me.offices.map(officeRow));
  if (me !== cv.me) return;
  cv.rows = rows;
  paint();
}

function sorted() {
  const { key, desc } = cv.sort;
  const value = (r) => (key === 'office' ? r.name.toLowerCase() : r[key] ?? -1);
  return [...cv.rows].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    const order = x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name);
    return desc ? -order : order;
  });
}

function sortBy(key) {
  cv.sort = cv.sort.key === key ? { key, desc: !cv.sort.desc } : { key, desc: key !== 'office' };
  paint();
  cv.root.querySelector(`[data-testid="sort-${key}"]`)?.focus();
}

function cell(r, key) {
  const v = r[key];
  const attrs = { 'data-testid': `county-${key}`, 'data-value': v === null ? '' : String(v) };
  if (v === null) return h('td', { ...attrs, class: 'muted', text: '–' });
  switch (key) {
    case 'drill':
      return h('td', { ...attrs, class: v ? 'warn' : 'ok',
        text: !v ? t('k.onTime') : r.neverDrilled ? t('k.never') : t('k.overdue', { days: v }) });
    case 'card': return h('td', { ...attrs, class: `num${v > 365 ? ' warn' : ''}`, text: t('k.days', { days: v }) });
    case 'coverage': return h('td', { ...attrs, class: v ? 'warn' : 'ok', text: v ? t('k.degraded', { n: v }) : t('k.ok') });
    case 'untested': return h('td', { ...attrs, class: `num${v ? ' warn' : ''}`, text: String(v) });
    default: return h('td', { ...attrs, class: `num${v ? ' warn' : ''}`, text: String(v) });
  }
}

/** The county's totals: how many offices are behind, and the sums (unknown cells count as none). */
function totals() {
  const known = (key) => cv.rows.map((r) => r[key]).filter((v) => v !== null && v !== undefined);
  const sum = (key) => known(key).reduce((a, b) => a + b, 0);
  const count = (key) => known(key).filter((v) => v > 0).length;
  const cards = known('card');
  const values = {
    drill: t('k.tot.drill', { n: count('drill') }),
    card: cards.length ? t('k.tot.card', { days: Math.max(...cards) }) : '–',
    coverage: t('k.tot.coverage', { n: count('coverage') }),
    untested: String(sum('untested')),
    debriefs: String(sum('debriefs')),
    unbriefed: String(sum('unbriefed')),
  };
  const raw = { drill: count('drill'), card: cards.length ? Math.max(...cards) : '', coverage: count('coverage'),
    untested: sum('untested'), debriefs: sum('debriefs'), unbriefed: sum('unbriefed') };
  return h('tfoot', {}, h('tr', { 'data-testid': 'county-totals' },
    h('th', { scope: 'row', text: t('k.totals', { n: cv.rows.length }) }),
    COLUMNS.slice(1).map((k) => h('td', { class: 'num', 'data-testid': `total-${k}`, 'data-value': String(raw[k]), text: values[k] }))));
}

function header(key) {
  const active = cv.sort.key === key;
  return h('th', { scope: 'col', 'aria-sort': active ? (cv.sort.desc ? 'descending' : 'ascending') : null },
    h('button', { type: 'button', class: 'sort', 'data-testid': `sort-${key}`, onclick: () => sortBy(key),
      'aria-label': t('k.sortBy', { col: t(`k.col.${key}`) }) },
    t(`k.col.${key}`), active ? (cv.sort.desc ? ' ▼' : ' ▲') : ''));
}

function paint() {
  if (!cv.root) return;
  const body = cv.rows === null
    ? h('p', { 'data-testid': 'county-loading', text: t('c.loading') })
    : h('div', { class: 'table-wrap' }, h('table', { class: 'table county', 'data-testid': 'county-table' },
      h('caption', { class: 'sr-only', text: t('k.caption') }),
      h('thead', {}, h('tr', {}, COLUMNS.map(header))),
      h('tbody', {}, sorted().map((r) => h('tr', { 'data-testid': 'county-row', 'data-office-id': r.id },
        h('th', { scope: 'row' }, h('a', { href: `#/office/${encodeURIComponent(r.id)}`, text: r.name })),
        COLUMNS.slice(1).map((k) => cell(r, k))))), totals()));
  cv.root.replaceChildren(
    h('p', {}, h('a', { href: '#/', 'data-testid': 'back', text: t('c.back') })),
    h('section', { class: 'panel', 'aria-labelledby': 'county-h' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'county-h', text: t('k.heading', { n: cv.me.offices.length }) }),
        h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'county-refresh',
          onclick: () => { cv.loadedAt = 0; mountCounty(cv.root, cv.me); } }, t('o.refresh'))),
      h('p', { class: 'hint', text: t('k.hint') }), body));
}
