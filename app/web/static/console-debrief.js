// The console's debrief page (#/debrief/<debrief id>): after a real alarm, the office writes what
// happened, what we learn and what must change, adds report references (deviation, police),
// records which after-care was offered to each person involved (the presser, every role holder,
// the leader; anyone on the staff can be added), and closes the debrief once nobody is missing.
// Only which support was offered and when: nothing about how a person is.
// API: GET/PATCH /api/v1/debriefs/{id}, POST …/aftercare, POST …/close, GET /offices/{id}/people.

import { fmtDateTime, h } from './dom.js';
import { t, tv } from './i18n.js';
import './i18n-learning.js';
import { getJson } from './console-api.js';
import { WRITERS, failure, msg, say, send } from './console-write.js';

const SUPPORTS = ['colleague_talk', 'leader_talk', 'occupational_health', 'psychologist', 'crisis_team', 'other'];
const REF_KINDS = ['deviation', 'police'];
const LINES = ['state', 'municipal'];
const TEXTS = ['what_happened', 'what_we_learn', 'what_we_change'];
const dv = {
  id: null, me: null, root: null, data: null, staff: [], refs: [], draft: null, status: null, error: null, busy: false,
};

/** Draw the page into `root`, loading the debrief when it is a different one. */
export function mountDebrief(root, me, debriefId) {
  const fresh = dv.id !== debriefId || dv.me !== me;
  Object.assign(dv, { root, me });
  if (fresh) {
    Object.assign(dv, { id: debriefId, data: null, staff: [], refs: [], draft: null, status: null, error: null });
    root.replaceChildren(h('p', { text: t('c.loading') }));
    load();
  } else {
    paint();
  }
}

async function load() {
  const id = dv.id;
  try {
    const data = await getJson(`/api/v1/debriefs/${encodeURIComponent(id)}`);
    const staff = await getJson(`/api/v1/offices/${encodeURIComponent(data.office_id)}/people`).catch(() => []);
    if (id !== dv.id) return;
    show(data);
    dv.staff = staff;
  } catch (err) {
    if (id !== dv.id) return;
    dv.error = err?.status === 404 ? msg('d.notFound') : failure(err);
  }
  paint();
}

/** The debrief as stored; the texts and references being edited stay as typed until saved. */
function show(data, saved = true) {
  dv.data = data;
  if (!saved && dv.draft) return;
  dv.refs = data.references.map((r) => ({ ...r }));
  dv.draft = Object.fromEntries(TEXTS.map((k) => [k, data[k]]));
}

async function write(method, path, body, done) {
  dv.busy = true;
  dv.error = null;
  paint();
  try {
    show(await send(method, path, body), method === 'PATCH');
    dv.status = msg(done);
  } catch (err) {
    dv.status = null;
    dv.error = err.code === 'aftercare_missing' ? msg('d.closeMissing') : failure(err);
  }
  dv.busy = false;
  paint();
}

const base = () => `/api/v1/debriefs/${encodeURIComponent(dv.id)}`;
const canWrite = () => WRITERS.has(dv.me?.role) && dv.data?.status === 'open';
const nameOf = (id) => dv.data.people.find((p) => p.person_id === id)?.name
  || dv.staff.find((p) => p.person_id === id)?.name || id;

function save(ev) {
  ev.preventDefault();
  const form = ev.target;
  const body = Object.fromEntries(TEXTS.map((k) => [k, form.elements[k].value]));
  body.references = dv.refs.filter((r) => r.ref.trim()).map((r) => ({ ...r, ref: r.ref.trim() }));
  write('PATCH', base(), body, 'd.saved');
}

function addAftercare(ev) {
  ev.preventDefault();
  const form = ev.target;
  const offered = SUPPORTS.filter((s) => form.elements[`support-${s}`].checked);
  if (!offered.length) {
    dv.error = msg('d.pickSupport');
    return paint();
  }
  const at = form.elements.offered_at.value ? new Date(form.elements.offered_at.value) : new Date();
  return write('POST', `${base()}/aftercare`, {
    person_id: form.elements.person.value, offered, offered_at: at.toISOString(),
  }, 'd.aftercareSaved');
}

function head(d) {
  const a = d.alarm;
  return h('section', { class: 'panel', 'aria-labelledby': 'debrief-h' },
    h('h2', { id: 'debrief-h' }, t('d.title', { date: fmtDateTime(a.raised_at) }),
      h('span', { class: `status status-${d.status}`, 'data-testid': 'debrief-status', 'data-status': d.status,
        text: ` · ${tv('d.status', d.status)}` })),
    h('p', {}, t('d.alarmLine', { where: a.location_id || '–', level: tv('level', a.level), outcome: tv('outcome', a.status) }), ' ',
      h('a', { href: `#/alarm/${encodeURIComponent(a.alarm_id)}`, 'data-testid': 'debrief-alarm', text: t('d.toAlarm') })),
    d.closed_at ? h('p', { 'data-testid': 'debrief-closed', text: t('d.closedAt', { date: fmtDateTime(d.closed_at) }) }) : null,
    h('p', { class: 'hint', 'data-testid': 'free-text-notice',
      text: t('d.freeText', { days: /(\d+)/.exec(d.free_text_notice)?.[1] ?? '–' }) }));
}

/** The outreach visit that raised this alarm (req. 37): where, when, and the worker's evaluation
 * after it, read before the office writes its review. Free text, purged with the rest. */
function visit(d) {
  const v = d.visit;
  if (!v) return null;
  const times = t('d.visitTimes', { start: fmtDateTime(v.started_at), end: fmtDateTime(v.planned_end) });
  return h('section', { class: 'panel', 'data-testid': 'debrief-visit', 'aria-labelledby': 'd-visit-h' },
    h('h2', { id: 'd-visit-h', text: t('d.visit') }),
    h('p', { 'data-testid': 'visit-line' }, tv('d.visitReason', v.reason || 'panic'), ' · ', times),
    v.where ? h('p', {}, `${t('d.visitWhere')} `, h('span', { 'data-testid': 'visit-where', translate: 'no', text: v.where })) : null,
    v.evaluation
      ? h('blockquote', { 'data-testid': 'visit-evaluation', text: v.evaluation })
      : h('p', { class: 'warn', 'data-testid': 'visit-no-evaluation', text: t(v.checked_out_at ? 'd.visitNoNote' : 'd.visitOut') }));
}

function textsForm(d) {
  const open = canWrite();
  const field = (k) => h('div', { class: 'field' },
    h('label', { for: `d-${k}`, text: t(`d.${k}`) }),
    h('textarea', { id: `d-${k}`, name: k, rows: '4', maxlength: '4000', 'data-testid': `debrief-${k}`, disabled: !open,
      oninput: (ev) => { dv.draft[k] = ev.target.value; } }, dv.draft?.[k] ?? d[k]));
  return h('form', { class: 'panel debrief-form', 'data-testid': 'debrief-form', 'aria-labelledby': 'd-texts-h', onsubmit: save },
    h('h2', { id: 'd-texts-h', text: t('d.texts') }),
    TEXTS.map(field),
    h('h3', { text: t('d.references') }),
    referenceRows(open),
    open ? h('div', { class: 'row' },
      h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'add-reference',
        onclick: () => { dv.refs.push({ kind: 'deviation', ref: '', reporting_line: 'state' }); paint(); } }, t('d.addReference')),
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save-debrief', disabled: dv.busy }, t('d.save')))
      : null);
}

function select(name, values, group, current, onchange, label) {
  return h('select', { name, 'aria-label': label, disabled: !canWrite(), onchange },
    values.map((v) => h('option', { value: v, selected: v === current, text: tv(group, v) })));
}

function referenceRows(open) {
  if (!dv.refs.length) return h('p', { class: 'empty', 'data-testid': 'no-references', text: t('d.noReferences') });
  return h('ul', { class: 'refs', 'data-testid': 'references' }, dv.refs.map((r, i) => h('li', { 'data-testid': 'reference' },
    select(`kind-${i}`, REF_KINDS, 'd.kind', r.kind, (ev) => { r.kind = ev.target.value; }, t('d.refKind', { n: i + 1 })),
    h('input', { type: 'text', maxlength: '100', value: r.ref, 'data-testid': 'reference-ref', disabled: !open,
      'aria-label': t('d.refText', { n: i + 1 }), placeholder: t('d.refExample'), oninput: (ev) => { r.ref = ev.target.value; } }),
    select(`line-${i}`, LINES, 'd.line', r.reporting_line, (ev) => { r.reporting_line = ev.target.value; }, t('d.refLine', { n: i + 1 })),
    open ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': t('d.removeReference', { n: i + 1 }),
      onclick: () => { dv.refs.splice(i, 1); paint(); } }, t('d.remove')) : null)));
}

function aftercare(d) {
  const missing = new Set(d.missing_aftercare);
  const rows = d.people.map((p) => h('tr', { 'data-testid': 'aftercare-row', 'data-person-id': p.person_id, 'data-missing': missing.has(p.person_id) ? 'true' : 'false' },
    h('th', { scope: 'row', text: p.name || p.person_id }),
    h('td', { text: p.involved ? t('d.involved') : t('d.added') }),
    h('td', { 'data-testid': 'aftercare-offered' }, p.offered.length
      ? p.offered.map((o) => `${tv('d.support', o.support)} (${fmtDateTime(o.offered_at)})`).join(', ')
      : h('strong', { class: 'warn', text: t('d.noneYet') }))));
  return h('section', { class: 'panel', 'data-testid': 'aftercare', 'aria-labelledby': 'd-care-h' },
    h('h2', { id: 'd-care-h', text: t('d.aftercare') }),
    h('p', { class: 'hint', text: t('d.aftercareHint') }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['person', 'why', 'offered'].map((k) => h('th', { scope: 'col', text: t(`d.col.${k}`) })))),
      h('tbody', {}, rows))),
    canWrite() ? aftercareForm(d) : null);
}

function aftercareForm(d) {
  const people = [...new Map([...d.people.map((p) => [p.person_id, p.name || p.person_id]),
    ...dv.staff.map((p) => [p.person_id, p.name])]).entries()];
  const first = d.missing_aftercare[0] || people[0]?.[0];
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  return h('form', { class: 'aftercare-form', 'data-testid': 'aftercare-form', onsubmit: addAftercare },
    h('h3', { text: t('d.recordAftercare') }),
    h('label', { for: 'd-person', text: t('d.person') }),
    h('select', { id: 'd-person', name: 'person', 'data-testid': 'aftercare-person' },
      people.map(([id, name]) => h('option', { value: id, selected: id === first, text: name }))),
    h('fieldset', {}, h('legend', { text: t('d.offered') }),
      SUPPORTS.map((s) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: `support-${s}`, 'data-testid': `support-${s}` }), ` ${tv('d.support', s)}`))),
    h('label', { for: 'd-at', text: t('d.offeredAt') }),
    h('input', { id: 'd-at', name: 'offered_at', type: 'datetime-local', value: now }),
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save-aftercare', disabled: dv.busy }, t('d.saveAftercare')));
}

function closing(d) {
  const box = h('section', { class: 'panel', 'data-testid': 'closing', 'aria-labelledby': 'd-close-h' },
    h('h2', { id: 'd-close-h', text: t('d.closing') }));
  if (d.status === 'closed') {
    box.append(h('p', { class: 'ok', text: t('d.isClosed', { date: fmtDateTime(d.closed_at) }) }));
    return box;
  }
  box.append(h('p', { 'data-testid': 'missing-aftercare', class: d.missing_aftercare.length ? 'warn' : 'ok',
    text: d.missing_aftercare.length ? t('d.missing', { names: d.missing_aftercare.map(nameOf).join(', ') }) : t('d.readyToClose') }));
  if (canWrite()) {
    box.append(h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'close-debrief', disabled: dv.busy,
      onclick: () => write('POST', `${base()}/close`, undefined, 'd.closed') }, t('d.close')));
  }
  return box;
}

function paint() {
  const root = dv.root;
  if (!root) return;
  const focused = document.activeElement?.dataset?.testid;
  const d = dv.data;
  const top = [
    h('p', {}, h('a', { href: d ? `#/office/${encodeURIComponent(d.office_id)}` : '#/', 'data-testid': 'back', text: t('c.back') })),
    h('p', { class: 'live-status', role: 'status', 'data-testid': 'debrief-message', text: say(dv.status) }),
    h('p', { class: 'error', role: 'alert', 'data-testid': 'debrief-error', text: say(dv.error) }),
  ];
  root.replaceChildren(...top, ...(d ? [head(d), visit(d), textsForm(d), aftercare(d), closing(d)] : []));
  if (focused) root.querySelector(`[data-testid="${focused}"]`)?.focus();
}
