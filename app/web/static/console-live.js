// The live view: open alarms as cards (who holds which role, steps ticked, help, lockdown) and
// the recent closed ones as a table. Data: GET /api/v1/console/alarms, polled by console.js.

import { fmtDateTime, fmtSeconds, fmtTime, h } from './dom.js';
import { t, tv } from './i18n.js';

function viewLink(a) {
  const where = a.location_name || a.location_id;
  return h('a', {
    class: 'btn btn-primary', href: `#/alarm/${encodeURIComponent(a.alarm_id)}`, 'data-testid': 'view-alarm',
    'aria-label': t('c.viewLabel', { where, time: fmtTime(a.raised_at) }),
  }, t('c.view'));
}

export function modeTag(mode) {
  return h('span', { class: `mode-tag mode-${mode}`, 'data-testid': 'mode-label', 'data-mode': mode }, tv('modeShort', mode));
}

function roleLine(r) {
  const who = r.holder || t('common.nobody');
  const state = r.state === 'accepted' ? who : tv('roleState', r.state);
  return h('li', { class: `role state-${r.state}`, 'data-testid': 'live-role', 'data-role-id': r.role_id, 'data-state': r.state },
    h('strong', { text: r.title }), ': ', state,
    r.state === 'accepted' && r.steps_total ? h('span', { class: 'muted', text: ` · ${t('c.rs.steps', { done: r.steps_done.length, total: r.steps_total })}` }) : null);
}

/** Who pressed (or that nobody knows), who is there, and whether anyone has called the police. */
function situation(a) {
  const via = a.presser_via ? t(`c.via.${a.presser_via}`) : '';
  return h('div', { class: 'situation' },
    h('p', { 'data-testid': 'presser', 'data-known': a.presser ? 'true' : 'false',
      text: a.presser ? t('c.presser', { name: a.presser, via }) : t('c.presserUnknown') }),
    a.arrived && a.arrived.length ? h('p', { 'data-testid': 'arrived', text: t('c.arrived', { names: a.arrived.join(', ') }) }) : null,
    a.repeats ? h('p', { class: 'muted', 'data-testid': 'repeats', text: t('c.repeats', { n: a.repeats }) }) : null,
    h('p', { class: a.police_contacted_by ? '' : 'police-warning', 'data-testid': 'police-line',
      text: a.police_contacted_by ? t('c.policeBy', { name: a.police_contacted_by }) : t('c.policeNot') }));
}

function liveCard(a, now) {
  const elapsed = (now - Date.parse(a.raised_at)) / 1000;
  return h('article', {
    class: `live-card mode-${a.mode} level-${a.level}`, 'data-testid': 'alarm-row', 'data-alarm-id': a.alarm_id,
    'data-status': a.status, 'aria-label': `${a.location_name}, ${a.office_name}`,
  },
  h('div', { class: 'live-head' }, modeTag(a.mode), h('span', { class: 'level', text: tv('level', a.level) }),
    a.help_requested ? h('span', { class: 'flag', 'data-testid': 'help-flag', text: t('c.help') }) : null,
    a.lockdown ? h('span', { class: 'flag', text: t('c.lockdown') }) : null),
  h('h3', {}, h('span', { 'data-testid': 'where', text: a.location_name }), h('span', { class: 'muted', text: ` · ${a.office_name}` })),
  h('p', { class: 'muted', text: `${t('common.at', { time: fmtTime(a.raised_at) })} · ${fmtSeconds(Math.max(0, Math.round(elapsed)))}` }),
  situation(a),
  h('ul', { class: 'roles' }, a.roles.map(roleLine)),
  viewLink(a));
}

function recentRow(a) {
  const duration = a.closed_at ? (Date.parse(a.closed_at) - Date.parse(a.raised_at)) / 1000 : null;
  return h('tr', { 'data-testid': 'alarm-row', 'data-alarm-id': a.alarm_id, 'data-status': a.status, class: `mode-${a.mode}` },
    h('td', { text: fmtDateTime(a.raised_at) }),
    h('td', { text: a.office_name }),
    h('td', { 'data-testid': 'where', text: a.location_name }),
    h('td', { text: tv('level', a.level) }),
    h('td', {}, modeTag(a.mode)),
    h('td', { 'data-testid': 'status', text: tv('outcome', a.status) }),
    h('td', { class: 'num', text: fmtSeconds(duration) }),
    h('td', {}, viewLink(a)));
}

export function renderLive(alarms, liveBox, recentBox) {
  // Redrawn every poll: keep the keyboard focus on the same alarm's link.
  const active = document.activeElement;
  const focusId = active?.closest?.('[data-alarm-id]')?.dataset.alarmId;
  const focusTestid = active?.dataset?.testid;
  draw(alarms, liveBox, recentBox);
  if (focusId && focusTestid) {
    document.querySelector(`[data-alarm-id="${CSS.escape(focusId)}"] [data-testid="${focusTestid}"]`)?.focus();
  }
}

function draw(alarms, liveBox, recentBox) {
  const now = Date.now();
  const open = alarms.filter((a) => a.status === 'open');
  const closed = alarms.filter((a) => a.status !== 'open');
  liveBox.replaceChildren(open.length
    ? h('div', { class: 'live-grid' }, open.map((a) => liveCard(a, now)))
    : h('p', { class: 'empty', 'data-testid': 'no-live', text: t('c.noLive') }));
  if (!closed.length) {
    recentBox.replaceChildren(h('p', { class: 'empty', text: t('c.noRecent') }));
    return;
  }
  const head = ['c.col.when', 'c.col.office', 'c.col.where', 'c.col.level', 'c.col.kind', 'c.col.status', 'c.col.duration', null];
  recentBox.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'recent-table' },
    h('thead', {}, h('tr', {}, head.map((k) => h('th', { scope: 'col' }, k ? t(k) : h('span', { class: 'sr-only', text: t('c.view') }))))),
    h('tbody', {}, closed.map(recentRow)))));
}
