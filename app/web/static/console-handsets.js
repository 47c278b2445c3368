// The handsets panel of the console's office page: create a handset for a person and show its
// one-time pairing code, link and QR; list the paired handsets (refreshed while a code is
// waiting, so "paired" shows up by itself); revoke one with a second press to confirm.
// API: GET/POST /api/v1/offices/{id}/handsets, DELETE …/handsets/{handset_id}, GET …/people.

import { fmtDateTime, fmtTime, h } from './dom.js';
import { t, tv } from './i18n.js';
import { getJson } from './console-api.js';
import { failure, msg, say, send } from './console-write.js';

const REFRESH_MS = 3000;
const CONFIRM_MS = 5000;
const hs = {
  me: null, officeId: null, root: null, ctx: null, parts: null,
  people: [], list: [], created: null, status: null, error: null,
  armed: null, armedTimer: null, timer: null, busy: false,
};

const base = () => `/api/v1/offices/${encodeURIComponent(hs.officeId)}`;
const personName = (id) => hs.people.find((p) => p.person_id === id)?.name || id;

/** Draw the panel into `root`; (re)load when the office or the signed-in token changed. */
export function mountHandsets(root, ctx) {
  const fresh = hs.me !== ctx.me || hs.officeId !== ctx.officeId;
  if (fresh) {
    clearTimeout(hs.timer);
    Object.assign(hs, { me: ctx.me, officeId: ctx.officeId, people: [], list: [], created: null, status: null, error: null, armed: null });
  }
  hs.root = root;
  hs.ctx = ctx;
  build();
  if (!ctx.canWrite) return;
  if (fresh) load();
  else refresh(); // back on the page: the list may have changed meanwhile
}

function build() {
  const { root, ctx } = hs;
  const select = h('select', { id: 'hs-person', 'data-testid': 'hs-person', required: true });
  const form = h('form', { class: 'inline-form', 'data-testid': 'hs-create-form', onsubmit: create },
    h('label', { for: 'hs-person', text: t('h.person') }), select,
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'hs-create', text: t('h.create') }));
  hs.parts = {
    select,
    status: h('p', { class: 'live-status', role: 'status', 'data-testid': 'handsets-status' }),
    error: h('p', { class: 'error', role: 'alert', 'data-testid': 'handsets-error' }),
    body: h('div'),
  };
  root.replaceChildren(
    h('h2', { id: 'handsets-h', text: t('h.heading') }),
    ctx.canWrite ? h('p', { class: 'hint', text: t('h.intro') }) : h('p', { class: 'hint', 'data-testid': 'handsets-readonly', text: t('h.writersOnly') }),
    ctx.canWrite ? form : null,
    hs.parts.status, hs.parts.error, hs.parts.body,
  );
  fillPeople(hs.people[0]?.person_id);
  paint();
}

function fillPeople(keep) {
  const select = hs.parts.select;
  const chosen = select.value || keep;
  select.replaceChildren(...hs.people.map((p) => h('option', { value: p.person_id, text: p.name })));
  if (chosen) select.value = chosen;
}

function paint() {
  const { parts } = hs;
  const focusKey = hs.root.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  parts.status.textContent = say(hs.status);
  parts.error.textContent = say(hs.error);
  parts.error.hidden = !hs.error;
  parts.body.replaceChildren(createdBox(), h('h3', { class: 'section-h', text: t('h.list') }), table());
  if (focusKey) parts.body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function createdBox() {
  const c = hs.created;
  if (!c) return null;
  const person = personName(c.person_id);
  const row = hs.list.find((r) => r.handset_id === c.handset_id);
  const state = row?.status || 'pending';
  const box = h('div', { class: `pair-result state-${state}`, 'data-testid': 'pair-result', 'data-handset-id': c.handset_id, 'data-status': state });
  if (state === 'paired') {
    box.append(h('p', { class: 'ok', 'data-testid': 'pair-done', text: t('h.pairedNow', { person }) }));
    return box;
  }
  if (state !== 'pending') {
    box.append(h('p', { class: 'warn', text: tv('h.status', state) }));
    return box;
  }
  const qr = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(c.qr_svg)}`;
  box.append(
    h('h3', { text: t('h.codeFor', { person }) }),
    h('div', { class: 'pair-grid' },
      h('img', { class: 'qr', src: qr, alt: t('h.qrAlt', { person }), 'data-testid': 'pair-qr', width: 246, height: 246 }),
      h('div', {},
        h('p', { class: 'pair-code', 'data-testid': 'pair-code', text: c.pairing_code }),
        h('p', { text: t('h.validUntil', { time: fmtTime(c.expires_at) }) }),
        h('p', {}, `${t('h.link')}: `, h('a', { href: c.pairing_url, 'data-testid': 'pair-link', target: '_blank', rel: 'noopener noreferrer', text: c.pairing_url })),
        h('p', { class: 'hint', text: t('h.howTo') }))));
  return box;
}

function table() {
  if (!hs.list.length) return h('p', { class: 'empty', 'data-testid': 'handsets-none', text: t('h.none') });
  const head = ['id', 'person', 'status', 'created', 'paired', 'actions'].map((k) => h('th', { scope: 'col', text: t(`h.col.${k}`) }));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'handset-list' },
    h('thead', {}, h('tr', {}, head)), h('tbody', {}, hs.list.map(row))));
}

function row(r) {
  const person = r.person_name || r.person_id;
  const when = r.revoked_at ? `${tv('h.status', 'revoked')} ${fmtDateTime(r.revoked_at)}` : fmtDateTime(r.paired_at);
  return h('tr', { 'data-testid': 'handset-row', 'data-handset-id': r.handset_id, 'data-status': r.status },
    h('td', {}, h('code', { text: r.handset_id })),
    h('td', { text: person }),
    h('td', { class: `hs-status status-${r.status}`, 'data-testid': 'handset-status', text: tv('h.status', r.status) }),
    h('td', { text: t('r.by', { time: fmtDateTime(r.created_at), who: r.created_by }) }),
    h('td', { text: when || '–' }),
    h('td', {}, r.status !== 'revoked' && hs.ctx.canWrite ? revokeButton(r, person) : null));
}

function revokeButton(r, person) {
  const armed = hs.armed === r.handset_id;
  return h('button', {
    type: 'button', class: `btn ${armed ? 'btn-danger' : 'btn-secondary'}`, 'data-testid': 'revoke',
    'data-focus-key': `revoke:${r.handset_id}`, 'data-armed': armed ? 'true' : 'false',
    'aria-label': t(armed ? 'h.confirmLabel' : 'h.revokeLabel', { id: r.handset_id, person }),
    onclick: () => (armed ? revoke(r, person) : arm(r.handset_id)),
  }, armed ? t('h.confirm') : t('h.revoke'));
}

function arm(id) {
  hs.armed = id;
  clearTimeout(hs.armedTimer);
  hs.armedTimer = setTimeout(() => { hs.armed = null; paint(); }, CONFIRM_MS);
  paint();
}

async function revoke(r, person) {
  hs.armed = null;
  try {
    await send('DELETE', `${base()}/handsets/${encodeURIComponent(r.handset_id)}`);
    hs.status = msg('h.revoked', { id: r.handset_id, person });
    hs.error = null;
  } catch (err) {
    hs.error = failure(err);
  }
  await refresh();
}

async function create(ev) {
  ev.preventDefault();
  if (hs.busy) return;
  const person_id = hs.parts.select.value;
  if (!person_id) return;
  hs.busy = true;
  try {
    hs.created = await send('POST', `${base()}/handsets`, { person_id });
    hs.status = msg('h.created', { person: personName(person_id) });
    hs.error = null;
  } catch (err) {
    hs.error = failure(err);
  } finally {
    hs.busy = false;
  }
  await refresh();
}

async function load() {
  const officeId = hs.officeId;
  try {
    const people = await getJson(`${base()}/people`);
    if (officeId !== hs.officeId) return;
    hs.people = people;
    fillPeople(people[0]?.person_id);
  } catch (err) {
    hs.error = failure(err);
  }
  await refresh();
}

/** Fetch the list again; while a code waits, again in a moment (only while the page shows). */
async function refresh() {
  clearTimeout(hs.timer);
  const officeId = hs.officeId;
  try {
    const list = await getJson(`${base()}/handsets`);
    if (officeId !== hs.officeId) return;
    for (const r of list) {
      const before = hs.list.find((x) => x.handset_id === r.handset_id);
      if (before?.status === 'pending' && r.status === 'paired') {
        hs.status = msg('h.pairedNow', { person: r.person_name || r.person_id });
      }
    }
    hs.list = list;
  } catch (err) {
    hs.error = failure(err);
  }
  paint();
  const showing = hs.root?.isConnected && !hs.root.closest('[hidden]');
  if (showing && hs.list.some((r) => r.status === 'pending')) hs.timer = setTimeout(refresh, REFRESH_MS);
}
