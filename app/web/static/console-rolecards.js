// The role-cards panel of the console's office page: upload an office file (a file input or
// pasted text), see the validator's errors and warnings next to the lines they are about,
// activate a version without errors, and the history of who uploaded and activated what.
// API: /api/v1/offices/{id}/rolecards (GET history, POST upload, POST validate,
// GET {n} with its problems, POST {n}/activate); see docs/protocol.md, section 4.

import { fmtDateTime, h } from './dom.js';
import { t, tv } from './i18n.js';
import { getJson } from './console-api.js';
import { failure, msg, say, send } from './console-write.js';
import { renderListing } from './console-listing.js';

const rc = {
  me: null, officeId: null, root: null, ctx: null, parts: null,
  text: '', result: null, history: [], status: null, error: null, busy: false,
};

const base = () => `/api/v1/offices/${encodeURIComponent(rc.officeId)}/rolecards`;
const who = (by) => (by === 'file' ? t('o.byFile') : by);

/** Draw the panel into `root`; (re)load when the office or the signed-in token changed. */
export function mountRolecards(root, ctx) {
  const fresh = rc.me !== ctx.me || rc.officeId !== ctx.officeId;
  if (fresh) {
    Object.assign(rc, { me: ctx.me, officeId: ctx.officeId, text: '', result: null, history: [], status: null, error: null });
  }
  rc.root = root;
  rc.ctx = ctx;
  build();
  loadHistory();
}

function build() {
  const { ctx } = rc;
  const area = h('textarea', {
    id: 'rc-text', 'data-testid': 'rc-text', rows: 10, spellcheck: 'false', autocomplete: 'off',
    oninput: (ev) => { rc.text = ev.target.value; },
  });
  area.value = rc.text;
  const file = h('input', {
    id: 'rc-file', type: 'file', 'data-testid': 'rc-file', accept: '.yaml,.yml,.txt,text/yaml,application/yaml,text/plain',
    onchange: async (ev) => {
      const chosen = ev.target.files?.[0];
      if (!chosen) return;
      rc.text = await chosen.text();
      area.value = rc.text;
    },
  });
  const form = h('form', { class: 'rc-form', 'data-testid': 'rc-form', onsubmit: (ev) => { ev.preventDefault(); submit('upload'); } },
    h('label', { for: 'rc-file', text: t('r.file') }), file,
    h('label', { for: 'rc-text', text: t('r.paste') }), area,
    h('div', { class: 'controls' },
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'rc-upload', text: t('r.upload') }),
      h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'rc-validate', text: t('r.validate'), onclick: () => submit('validate') })));
  rc.parts = {
    active: h('p', { class: 'rc-active', 'data-testid': 'rc-active' }),
    status: h('p', { class: 'live-status', role: 'status', 'data-testid': 'rc-status' }),
    error: h('p', { class: 'error', role: 'alert', 'data-testid': 'rc-error' }),
    result: h('div', { 'data-testid': 'rc-result' }),
    history: h('div', { 'data-testid': 'rc-history' }),
  };
  rc.root.replaceChildren(
    h('h2', { id: 'rolecards-h', text: t('r.heading') }),
    rc.parts.active,
    ctx.canWrite ? form : h('p', { class: 'hint', 'data-testid': 'rc-readonly', text: t('r.readOnly') }),
    rc.parts.status, rc.parts.error, rc.parts.result,
    h('h3', { class: 'section-h', text: t('r.history') }), rc.parts.history,
  );
  paint();
}

function paint() {
  const { parts } = rc;
  const active = rc.history.find((v) => v.status === 'active');
  parts.active.textContent = active ? t('r.active', { n: active.number, label: active.label }) : '';
  parts.status.textContent = say(rc.status);
  parts.error.textContent = say(rc.error);
  parts.error.hidden = !rc.error;
  parts.result.replaceChildren(...resultView());
  parts.history.replaceChildren(historyTable());
}

function counts(r) {
  return { n: r.number, e: r.errors, w: r.warnings };
}

function resultView() {
  const r = rc.result;
  if (!r) return [];
  const stored = rc.history.find((v) => v.number === r.number);
  const canActivate = rc.ctx.canWrite && r.number && r.activatable && stored?.status !== 'active';
  return [h('div', {
    class: `rc-result ${r.errors ? 'has-errors' : ''}`, 'data-kind': r.kind, 'data-number': r.number ?? '',
    'data-errors': r.errors, 'data-warnings': r.warnings,
  },
  h('h3', { 'data-testid': 'rc-summary', text: r.number ? t('r.resultStored', { n: r.number, label: r.label }) : t('r.resultChecked', { label: r.label }) }),
  canActivate ? h('button', {
    type: 'button', class: 'btn btn-primary', 'data-testid': 'rc-activate', text: t('r.activate', { n: r.number }),
    onclick: () => activate(r.number),
  }) : null,
  r.number && !r.activatable ? h('p', { class: 'error', 'data-testid': 'rc-blocked', text: t('r.cannotActivate') }) : null,
  r.people_per_alarm ? h('p', { 'data-testid': 'rc-people', 'data-required': r.people_per_alarm.required,
    'data-with-optional': r.people_per_alarm.with_optional, text: t('r.people', r.people_per_alarm) }) : null,
  renderListing(r.content, r.problems))];
}

function historyTable() {
  if (!rc.history.length) return h('p', { class: 'empty', text: '–' });
  const cols = ['number', 'label', 'status', 'uploaded', 'activated', 'errors', 'warnings', 'actions'];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'rc-history-table' },
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col', text: t(`r.col.${k}`) })))),
    h('tbody', {}, rc.history.map((v) => h('tr', {
      'data-testid': 'rc-version', 'data-number': v.number, 'data-status': v.status, class: `version-${v.status}`,
    },
    h('td', { class: 'num', text: String(v.number) }),
    h('td', { class: 'nowrap', text: v.label }),
    h('td', { class: 'rc-status-cell', 'data-testid': 'rc-version-status', text: tv('r.status', v.status) }),
    h('td', { text: t('r.by', { time: fmtDateTime(v.uploaded_at), who: who(v.uploaded_by) }) }),
    h('td', { text: v.activated_at ? t('r.by', { time: fmtDateTime(v.activated_at), who: who(v.activated_by) }) : '–' }),
    h('td', { class: `num${v.errors ? ' count-error' : ''}`, text: String(v.errors) }),
    h('td', { class: 'num', text: String(v.warnings) }),
    h('td', {}, h('div', { class: 'row-actions' },
      h('button', {
        type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'rc-show', text: t('r.show'),
        'aria-label': t('r.showLabel', { n: v.number, label: v.label }), onclick: () => show(v.number),
      }),
      rc.ctx.canWrite && v.status !== 'active' && !v.errors ? h('button', {
        type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'rc-activate-row', text: t('r.activateRow'),
        'aria-label': t('r.activateRowLabel', { n: v.number, label: v.label }), onclick: () => activate(v.number),
      }) : null)))))));
}

async function run(work) {
  if (rc.busy) return;
  rc.busy = true;
  rc.error = null;
  try {
    await work();
  } catch (err) {
    rc.error = failure(err);
  } finally {
    rc.busy = false;
  }
  paint();
}

function submit(kind) {
  const content = rc.text;
  if (!content.trim()) {
    rc.error = msg('r.empty');
    paint();
    return Promise.resolve();
  }
  rc.status = msg('r.working');
  paint();
  return run(async () => {
    const path = kind === 'upload' ? base() : `${base()}/validate`;
    const answer = await send('POST', path, content, 'application/yaml');
    rc.result = { ...answer, content, kind: kind === 'upload' ? 'uploaded' : 'checked' };
    rc.status = msg(kind === 'upload' ? 'r.uploaded' : 'r.checked', counts(rc.result));
    if (kind === 'upload') await fetchHistory();
  }).then(() => {
    if (rc.error) rc.status = null;
    paint();
  });
}

function show(number) {
  return run(async () => {
    const v = await getJson(`${base()}/${number}`);
    rc.result = { ...v, kind: 'shown' };
    rc.status = msg('r.shown', counts(v));
  });
}

function activate(number) {
  return run(async () => {
    await send('POST', `${base()}/${number}/activate`);
    rc.status = msg('r.activated', { n: number });
    await fetchHistory();
  });
}

async function fetchHistory() {
  const officeId = rc.officeId;
  const history = await getJson(base());
  if (officeId === rc.officeId) rc.history = history;
}

async function loadHistory() {
  try {
    await fetchHistory();
  } catch (err) {
    rc.error = failure(err);
  }
  paint();
}
