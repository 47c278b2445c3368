// One alarm in the console: a replay of its timeline with a scrubber over the time axis (what
// was true at each instant: offers, accepts, declines, timeouts, unfilled roles, steps, the
// all-clear), the per-role times, the deviations from the card, and the debrief exports.
// Data: GET /api/v1/alarms/{id}/debrief.json (see app/api/debrief_model.py).

import { fmtDateTime, fmtSeconds, fmtTime, h } from './dom.js';
import { t, tv } from './i18n.js';
import './i18n-learning.js';
import { download, openPage } from './console-api.js';
import { modeTag } from './console-live.js';

const view = { debrief: null, pos: 0, max: 0, playing: null, root: null };

const ms = (e) => Math.round((e.since_press_s ?? 0) * 1000);
const names = (ids) => ids.map((p) => view.debrief.people[p] || p).join(', ');
const roleTitle = (id) => view.debrief.roles.find((r) => r.role_id === id)?.title || id;

/** The alarm as it was `pos` ms after the press: a fold over the events up to then. */
export function stateAt(events, pos) {
  const s = { status: 'open', level: null, lockdown: false, help: [], roles: new Map() };
  const role = (id) => {
    if (!s.roles.has(id)) s.roles.set(id, { state: 'waiting', offered: new Set(), declined: [], timedOut: [], holder: null, steps: new Set() });
    return s.roles.get(id);
  };
  for (const e of events) {
    if (ms(e) > pos) break;
    const d = e.data || {};
    const r = e.role_id ? role(e.role_id) : null;
    switch (e.type) {
      case 'AlarmRaised': s.level = d.level; (d.role_ids || []).forEach(role); break;
      case 'RoleOffered': if (r.state !== 'accepted') r.state = 'offered'; e.person_ids.forEach((p) => r.offered.add(p)); break;
      case 'RoleAccepted': r.state = 'accepted'; r.holder = e.person_ids[0]; r.offered.clear(); break;
      case 'RoleDeclined': r.offered.delete(e.person_ids[0]); r.declined.push(e.person_ids[0]); break;
      case 'OfferWithdrawn': e.person_ids.forEach((p) => r.offered.delete(p)); break;
      case 'OfferTimedOut': r.timedOut.push(...e.person_ids); break;
      case 'RoleUnfilled': if (r.state !== 'accepted') r.state = 'unfilled'; break;
      case 'StepCompleted': r.steps.add(d.step); break;
      case 'HelpRequested': s.help.push(e.person_ids[0]); break;
      case 'LevelRaised': s.level = d.level; break;
      case 'LockdownChanged': s.lockdown = d.on === true; break;
      case 'AllClearGiven': s.status = 'resolved'; break;
      case 'AlarmCancelled': s.status = 'cancelled'; break;
      default: break;
    }
  }
  return s;
}

function isDeviation(e) {
  if (['RoleDeclined', 'OfferTimedOut', 'RoleUnfilled', 'AlarmCancelled'].includes(e.type)) return true;
  if (e.type !== 'RoleAccepted') return false;
  return view.debrief.role_times.some((r) => r.role_id === e.role_id && r.late && r.accepted_at === e.at);
}

function eventText(e) {
  const parts = [tv('event', e.type)];
  if (e.role_id) parts.push(roleTitle(e.role_id));
  if (e.persons.length) parts.push(e.persons.join(', '));
  else if (e.actor.startsWith('device:')) parts.push(t('actor.button', { id: e.actor.slice(7) }));
  if (e.type === 'StepCompleted') parts.push(`#${e.data.step}`);
  if (['RoleDeclined', 'HelpRequested', 'AllClearGiven'].includes(e.type)) {
    const free = e.data.reason || e.data.text || e.data.note;
    if (free) parts.push(`«${free}»`);
  }
  return parts.join(' · ');
}

function roleStateText(r, info) {
  const lines = [];
  if (r.state === 'accepted') lines.push(t('c.rs.accepted', { who: names([r.holder]) }));
  else if (r.state === 'offered') lines.push(t('c.rs.offered', { who: names([...r.offered]) || t('common.nobody') }));
  else lines.push(t(`c.rs.${r.state}`));
  if (r.declined.length) lines.push(t('c.rs.declined', { who: names(r.declined) }));
  if (r.timedOut.length) lines.push(t('c.rs.timedOut', { who: names([...new Set(r.timedOut)]) }));
  if (r.state === 'accepted' && info?.steps.length) lines.push(t('c.rs.steps', { done: r.steps.size, total: info.steps.length }));
  return lines;
}

function paintState() {
  const { debrief, pos, root } = view;
  const s = stateAt(debrief.events, pos);
  const press = debrief.summary.press_at || debrief.alarm.raised_at;
  const slider = root.querySelector('[data-testid="scrubber"]');
  slider.value = String(pos);
  const clock = t('c.clock', { s: fmtSeconds(pos / 1000), time: fmtTime(new Date(Date.parse(press) + pos)) });
  slider.setAttribute('aria-valuetext', clock);
  root.querySelector('[data-testid="replay-clock"]').textContent = clock;
  const status = root.querySelector('[data-testid="replay-status"]');
  status.dataset.state = s.status;
  status.textContent = t('c.alarmIs', { state: tv('outcome', s.status) });
  const required = new Set(debrief.roles.filter((r) => r.required).map((r) => r.role_id));
  root.querySelector('[data-testid="replay-roles"]').replaceChildren(...[...s.roles].map(([id, r]) => {
    const info = debrief.roles.find((x) => x.role_id === id);
    const bad = r.state === 'unfilled' || (s.status !== 'open' && r.state !== 'accepted' && required.has(id));
    return h('tr', { 'data-testid': 'replay-role', 'data-role-id': id, 'data-state': r.state, class: bad ? 'deviation' : `state-${r.state}` },
      h('th', { scope: 'row', text: roleTitle(id) }),
      h('td', {}, roleStateText(r, info).map((line) => h('span', { class: 'line', text: line }))));
  }));
  for (const li of root.querySelectorAll('[data-testid="replay-event"]')) li.classList.toggle('future', Number(li.dataset.ms) > pos);
  const lastSeen = [...root.querySelectorAll('[data-testid="replay-event"]')].filter((li) => Number(li.dataset.ms) <= pos).pop();
  for (const li of root.querySelectorAll('[data-testid="replay-event"]')) li.classList.toggle('current', li === lastSeen);
  if (lastSeen) {
    // Keep the current event in sight inside the list, without scrolling the page.
    const list = lastSeen.parentElement;
    const top = lastSeen.offsetTop; // .events is positioned: relative to the list
    if (top < list.scrollTop || top + lastSeen.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 2);
    }
  }
  root.querySelector('[data-testid="play"]').textContent = view.playing ? t('c.pause') : t('c.play');
}

function seek(pos) {
  view.pos = Math.max(0, Math.min(view.max, pos));
  paintState();
}

function stepEvent(dir) {
  const times = [...new Set(view.debrief.events.map(ms))].sort((a, b) => a - b);
  const next = dir > 0 ? times.find((x) => x > view.pos) : times.filter((x) => x < view.pos).pop();
  seek(next ?? (dir > 0 ? view.max : 0));
}

function togglePlay() {
  if (view.playing) {
    clearInterval(view.playing);
    view.playing = null;
  } else {
    if (view.pos >= view.max) view.pos = 0;
    const speed = Math.max(1, view.max / 20000); // a long alarm plays in about 20 s
    view.playing = setInterval(() => {
      seek(view.pos + 100 * speed);
      if (view.pos >= view.max) togglePlay();
    }, 100);
  }
  paintState();
}

export function stopReplay() {
  if (view.playing) clearInterval(view.playing);
  view.playing = null;
}

function timesTable(debrief) {
  const cols = ['c.col.role', 'c.col.holder', 'c.col.toOffer', 'c.col.toAccept', 'c.col.toStep', 'c.col.steps', 'c.col.declines', 'c.col.timeouts'];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'role-times' },
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col', text: t(k) })))),
    h('tbody', {}, debrief.role_times.map((r) => h('tr', { 'data-testid': 'role-time', 'data-role-id': r.role_id, 'data-late': r.late ? 'true' : 'false', class: !r.holder && r.required && debrief.summary.outcome !== 'open' ? 'deviation' : '' },
      h('th', { scope: 'row' }, r.title, r.required ? h('span', { class: 'tag', text: t('c.required') }) : null),
      h('td', { 'data-testid': 'holder', text: r.holder || t('common.nobody') }),
      h('td', { class: 'num', 'data-testid': 'to-offer', text: fmtSeconds(r.press_to_offer_s) }),
      h('td', { class: 'num', 'data-testid': 'to-accept' }, fmtSeconds(r.offer_to_accept_s), r.late ? h('span', { class: 'tag late', text: t('c.late') }) : null),
      h('td', { class: 'num', 'data-testid': 'to-step', text: fmtSeconds(r.accept_to_first_step_s) }),
      h('td', { class: 'num', text: `${r.steps_done.length}/${r.steps_total}` }),
      h('td', { class: 'num', text: String(r.declines) }),
      h('td', { class: 'num', text: String(r.timeouts) }))))));
}

function deviationList(debrief) {
  if (!debrief.deviations.length) return h('p', { 'data-testid': 'no-deviations', text: t('c.noDeviations') });
  return h('ul', { class: 'deviations', 'data-testid': 'deviations' }, debrief.deviations.map((d) => h('li', {
    class: 'deviation', 'data-testid': 'deviation', 'data-kind': d.kind, 'data-role-id': d.role_id || '',
  }, h('span', { class: 'num', text: `T+${fmtSeconds(d.since_press_s)}` }), ' ',
  h('strong', { text: t(`c.dev.${d.kind}`, { s: fmtSeconds(d.late_by_s) }) }),
  d.role_title ? `: ${d.role_title}` : '', d.persons.length ? ` (${d.persons.join(', ')})` : '')));
}

function exportButtons(debrief) {
  const base = `/api/v1/alarms/${encodeURIComponent(debrief.alarm.alarm_id)}/debrief`;
  const file = `debrief-${debrief.alarm.alarm_id}`;
  const lang = document.documentElement.lang;
  const b = (testid, key, fn) => h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': testid, onclick: fn }, t(key));
  return h('div', { class: 'exports' },
    b('export-html', 'c.exportHtml', () => download(`${base}.html?lang=${lang}`, `${file}.html`)),
    b('export-json', 'c.exportJson', () => download(`${base}.json`, `${file}.json`)),
    b('export-csv', 'c.exportCsv', () => download(`${base}.csv`, `${file}.csv`)),
    b('print', 'c.print', () => openPage(`${base}.html?lang=${lang}`)));
}

function summary(debrief) {
  const s = debrief.summary;
  const row = (k, v, testid) => [h('dt', { text: t(k) }), h('dd', { 'data-testid': testid, text: v })];
  return h('dl', { class: 'summary', 'data-testid': 'summary' },
    row('c.pressed', fmtDateTime(s.press_at || debrief.alarm.raised_at), 'pressed'),
    row('c.outcome', tv('outcome', s.outcome), 'outcome'),
    row('c.firstAccept', fmtSeconds(s.press_to_first_accept_s), 'first-accept'),
    row('c.duration', fmtSeconds(s.duration_s), 'duration'),
    row('c.helpCount', String(s.help_requests), 'help-count'),
    row('c.deviationCount', String(debrief.deviations.length), 'deviation-count'),
    chainRow(debrief.chain));
}

/** The timeline's tamper evidence, checked by the server on this read. */
function chainRow(chain) {
  const state = chain ? chain.state : 'unknown';
  const text = chain && chain.state !== 'ok' ? t(`c.chain.${state}`, { reason: chain.reason || '' }) : t(`c.chain.${state}`);
  return [h('dt', { text: t('c.chain') }),
    h('dd', { 'data-testid': 'chain', 'data-state': state, class: state === 'ok' ? '' : 'chain-bad', text })];
}

/** Draw the whole alarm page; a refresh of an open alarm keeps the position unless at the end. */
/** A real alarm that is over has a debrief; its id is derived from the alarm's (aftercare.py). */
function debriefLink(a) {
  if (a.mode !== 'real' || a.status === 'open') return null;
  const id = `d-${a.alarm_id.replace(/^a-/, '')}`;
  return h('p', {}, h('a', { href: `#/debrief/${encodeURIComponent(id)}`, 'data-testid': 'open-debrief-page', text: t('d.openPage') }));
}

export function renderAlarmPage(debrief, root) {
  const atEnd = !view.debrief || view.debrief.alarm.alarm_id !== debrief.alarm.alarm_id || view.pos >= view.max;
  view.debrief = debrief;
  view.root = root;
  view.max = Math.max(0, ...debrief.events.map(ms));
  view.pos = atEnd ? view.max : Math.min(view.pos, view.max);
  const a = debrief.alarm;
  const ctl = (testid, key, fn) => h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': testid, onclick: fn }, t(key));
  const focused = document.activeElement?.dataset?.testid;
  root.replaceChildren(
    h('p', {}, h('a', { href: '#/', 'data-testid': 'back', text: t('c.back') })),
    h('section', { class: `panel alarm-head mode-${a.mode}`, 'data-testid': 'alarm-head', 'data-status': a.status, 'aria-labelledby': 'alarm-h' },
      h('div', { class: 'live-head' }, modeTag(a.mode), h('span', { class: 'level', text: tv('level', a.level) }),
        h('span', { class: `status status-${a.status}`, 'data-testid': 'alarm-status', text: tv('outcome', a.status) })),
      h('h2', { id: 'alarm-h' }, a.location_name, h('span', { class: 'muted', text: ` · ${a.office_name}` })),
      summary(debrief)),
    h('section', { class: 'panel replay', 'data-testid': 'replay', 'aria-labelledby': 'replay-h' },
      h('h2', { id: 'replay-h', text: t('c.replay') }),
      h('p', { class: 'clock', 'data-testid': 'replay-clock' }),
      h('label', { class: 'sr-only', for: 'scrubber', text: t('c.scrubber') }),
      h('input', { id: 'scrubber', type: 'range', min: '0', max: String(view.max), step: '1', 'data-testid': 'scrubber',
        oninput: (ev) => seek(Number(ev.target.value)) }),
      h('div', { class: 'controls' }, ctl('prev-event', 'c.prev', () => stepEvent(-1)), ctl('play', 'c.play', togglePlay),
        ctl('next-event', 'c.next', () => stepEvent(1)), ctl('to-end', 'c.toEnd', () => seek(view.max))),
      h('div', { class: 'replay-grid' },
        h('div', {}, h('h3', { text: t('c.stateAt') }), h('p', { class: 'replay-status', 'data-testid': 'replay-status' }),
          h('table', { class: 'table' }, h('tbody', { 'data-testid': 'replay-roles' }))),
        h('div', {}, h('h3', { text: t('c.events') }), h('ol', { class: 'events', 'data-testid': 'replay-events', tabindex: '0', 'aria-label': t('c.events') },
          debrief.events.map((e) => h('li', { 'data-testid': 'replay-event', 'data-seq': e.seq, 'data-type': e.type, 'data-ms': ms(e),
            class: `${isDeviation(e) ? 'deviation' : ''}${e.type === 'HelpRequested' ? ' help' : ''}` },
          h('span', { class: 'num', text: `T+${fmtSeconds(e.since_press_s)}` }), ' ', eventText(e))))))),
    h('section', { class: 'panel', 'aria-labelledby': 'times-h' }, h('h2', { id: 'times-h', text: t('c.times') }), timesTable(debrief)),
    h('section', { class: 'panel', 'aria-labelledby': 'dev-h' }, h('h2', { id: 'dev-h', text: t('c.deviations') }), deviationList(debrief)),
    h('section', { class: 'panel', 'aria-labelledby': 'exp-h' }, h('h2', { id: 'exp-h', text: t('c.export') }), exportButtons(debrief),
      debriefLink(a)));
  paintState();
  if (focused) root.querySelector(`[data-testid="${focused}"]`)?.focus();
}
