// The phones panel of the console's office page: how each handset can be reached now
// (connected, by push, unreachable; docs/push.md) and, for a phone that subscribed to Web Push,
// a test push whose receipt shows that the phone would wake for an alarm.
// API: GET /api/v1/offices/{id}/reachability; POST …/handsets/{handset_id}/test-push and
// GET …/test-push/{push_id}.

import { fmtDateTime, fmtTime, h } from './dom.js';
import { addStrings, t } from './i18n.js';
import { getJson } from './console-api.js';
import { failure, say, send } from './console-write.js';

addStrings({
  'p.heading': ['Telefoner', 'Phones'],
  'p.intro': ['Kan telefonen vekkes for en alarm? «Via push» betyr at appen er lukket, men telefonen har bekreftet et varsel nylig.',
    'Can the phone be woken for an alarm? "By push" means the app is closed but the phone confirmed a push lately.'],
  'p.col.handset': ['Håndsett', 'Handset'],
  'p.col.person': ['Person', 'Person'],
  'p.col.reach': ['Nås', 'Reachable'],
  'p.col.receipt': ['Siste bekreftelse', 'Last confirmation'],
  'p.col.test': ['Test', 'Test'],
  'p.reach.connected': ['tilkoblet', 'connected'],
  'p.reach.push': ['via push', 'by push'],
  'p.reach.unreachable': ['NÅS IKKE', 'UNREACHABLE'],
  'p.test': ['Send testvarsel', 'Send a test push'],
  'p.testSent': ['Testvarsel sendt til {id} kl. {time}: venter på bekreftelse …', 'Test push sent to {id} at {time}: waiting for its receipt …'],
  'p.testReceived': ['Telefonen {id} bekreftet testvarselet kl. {time}.', 'Phone {id} confirmed the test push at {time}.'],
  'p.testMissing': ['Ingen bekreftelse fra {id} etter 30 s: sjekk varsler og batterisparing.', 'No receipt from {id} after 30 s: check notifications and battery saving.'],
  'p.none': ['Ingen håndsett er sett ennå.', 'No handset seen yet.'],
});

const REFRESH_MS = 10000;
const WAIT_MS = 30000;
const ph = { officeId: null, me: null, root: null, rows: [], status: null, error: null, timer: null };
const base = () => `/api/v1/offices/${encodeURIComponent(ph.officeId)}`;

export function mountPhones(root, ctx) {
  if (ph.me !== ctx.me || ph.officeId !== ctx.officeId) {
    clearTimeout(ph.timer);
    Object.assign(ph, { me: ctx.me, officeId: ctx.officeId, rows: [], status: null, error: null });
  }
  ph.root = root;
  ph.ctx = ctx;
  paint();
  refresh();
}

function paint() {
  const rows = ph.rows.map((r) => h('tr', { 'data-testid': 'phone-row', 'data-handset-id': r.handset_id, 'data-reach': r.reach },
    h('td', {}, h('code', { text: r.handset_id })),
    h('td', { text: r.person_name || r.person_id }),
    h('td', { class: `reach reach-${r.reach}`, 'data-testid': 'phone-reach', text: t(`p.reach.${r.reach}`) }),
    h('td', { text: r.last_receipt_at ? fmtDateTime(r.last_receipt_at) : '–' }),
    h('td', {}, r.subscribed && ph.ctx.canWrite ? h('button', {
      type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'test-push', onclick: () => testPush(r.handset_id),
    }, t('p.test')) : null)));
  const table = ph.rows.length
    ? h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ...['handset', 'person', 'reach', 'receipt', 'test'].map((k) => h('th', { scope: 'col', text: t(`p.col.${k}`) })))),
      h('tbody', {}, ...rows))
    : h('p', { class: 'empty', text: t('p.none') });
  ph.root.replaceChildren(
    h('h2', { id: 'phones-h', text: t('p.heading') }),
    h('p', { class: 'hint', text: t('p.intro') }),
    h('p', { class: 'live-status', role: 'status', 'data-testid': 'phones-status', text: say(ph.status) }),
    h('p', { class: 'error', role: 'alert', 'data-testid': 'phones-error', hidden: !ph.error, text: say(ph.error) }),
    table,
  );
}

async function refresh() {
  clearTimeout(ph.timer);
  try {
    ph.rows = await getJson(`${base()}/reachability`);
    ph.error = null;
  } catch (err) {
    ph.error = failure(err);
  }
  if (ph.root && ph.root.isConnected) {
    paint();
    ph.timer = setTimeout(refresh, REFRESH_MS);
  }
}

async function testPush(id) {
  try {
    const sent = await send('POST', `${base()}/handsets/${encodeURIComponent(id)}/test-push`);
    ph.status = { key: 'p.testSent', vars: { id, time: fmtTime(sent.sent_at) } };
    paint();
    const until = Date.now() + WAIT_MS;
    while (Date.now() < until) {
      await new Promise((resolve) => { setTimeout(resolve, 500); });
      const got = await getJson(`${base()}/handsets/${encodeURIComponent(id)}/test-push/${sent.push_id}`);
      if (got.received_at) {
        ph.status = { key: 'p.testReceived', vars: { id, time: fmtTime(got.received_at) } };
        return refresh();
      }
    }
    ph.status = { key: 'p.testMissing', vars: { id } };
  } catch (err) {
    ph.error = failure(err);
  }
  return paint();
}
