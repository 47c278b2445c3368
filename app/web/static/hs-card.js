// One alarm card: what kind (DRILL/TEST unmistakable), where, the offer with its steps and a
// countdown, big Accept/Decline, then steps to tick, "Need help", the leader's "All clear", and
// who took which role.

import { fmtTime, h, nameOf, str } from './dom.js';
import { t, tv } from './i18n.js';
import { isArmed, isQueued, offerOrder, shownStatus, state } from './hs-state.js';
import {
  accept, allClear, decline, needHelp, stepDone, toggleLockdown, undoDecline,
} from './hs-actions.js';
import { placeActions } from './hs-place.js';
import { holderIsMe } from './hs-alarm.js';
import { renderAlarms, waitingCount } from './hs-view.js';
import { silentBecausePublic } from './hs-alert.js';
import { shownText } from './hs-text.js';

/** Role-card content (titles, steps, places, names) is the office's words, not the page's. */
const DATA = { translate: 'no' };

/** The leader badge, unless the title already says so (a screen reader would say it twice). */
export function leaderBadge(title) {
  const word = t('common.leader').toLowerCase();
  const said = String(title).toLowerCase().includes(word);
  return h('span', { class: 'badge', 'aria-hidden': said ? 'true' : null, text: t('common.leader') });
}

function btn(attrs, ...children) {
  return h('button', { type: 'button', ...attrs }, ...children);
}

function facts(alarm, info) {
  const loc = info.location || {};
  const trig = info.trigger || {};
  const holder = nameOf(trig.holder);
  const where = str(loc.name) || str(loc.id) || t('common.unknownPlace');
  const visit = state.visits.get(alarm.id);
  return h('dl', { class: 'facts' },
    h('dt', { text: t('alarm.where') }),
    h('dd', { 'data-testid': 'location' }, h('strong', { class: 'where', text: where, ...DATA }),
      str(loc.zone) ? h('span', { class: 'zone', 'data-zone': loc.zone, text: t('alarm.zone', { zone: tv('zone', loc.zone) }) }) : null),
    visit ? [h('dt', { text: t('alarm.visit') }), h('dd', { 'data-testid': 'visit-where' },
      h('strong', { text: visit.where, ...DATA }), visit.worker ? h('span', { text: ` (${visit.worker})`, ...DATA }) : null)] : null,
    holder ? [h('dt', { text: t('alarm.whose') }), h('dd', { 'data-testid': 'holder', text: holder, ...DATA })] : null,
    h('dt', { text: t('alarm.trigger') }),
    h('dd', {}, h('span', { 'data-testid': 'trigger-kind', 'data-kind': str(trig.kind) }, trig.kind ? tv('trigger', trig.kind) : '–'),
      info.raised_at ? h('span', { 'data-testid': 'raised-at', text: `, ${t('common.at', { time: fmtTime(info.raised_at) })}` }) : null),
    info.office_id && state.me.officeId && info.office_id !== state.me.officeId
      ? [h('dt', { text: t('alarm.from') }), h('dd', { 'data-testid': 'origin' }, t('alarm.otherOfficeLabel'), h('span', { text: info.office_name || info.office_id, ...DATA }))]
      : null);
}

export function renderAlarm(alarm) {
  const info = alarm.info || { mode: 'real', location: {}, trigger: {} };
  const mode = info.mode || 'real';
  const isNoticeOnly = alarm.offers.size === 0;
  const where = str(info.location?.name) || alarm.id;
  const card = h('article', {
    class: `alarm mode-${mode} level-${info.level || 'unknown'}${alarm.closed ? ' closed' : ''}`,
    'data-testid': 'alarm', 'data-alarm-id': alarm.id, 'data-mode': mode,
    'data-kind': isNoticeOnly ? 'notice' : 'offer', 'data-state': alarm.closed ? 'closed' : 'open',
    'aria-label': t('alarm.label', { where }),
  });
  card.append(h('h2', { class: `mode-banner mode-${mode}`, 'data-testid': 'mode-label', 'data-mode': mode },
    h('span', { text: tv('mode', mode) }),
    h('span', { class: 'banner-level', 'data-testid': 'level', 'data-level': info.level || '' },
      info.level ? tv('level', info.level) : '')));
  if (info.shared) {
    card.append(h('p', { class: 'shared-tag', 'data-testid': 'shared' }, t('alarm.sharedLabel'), h('span', { text: info.office_name || info.office_id, ...DATA })));
  }
  card.append(facts(alarm, info));
  if (alarm.closed) {
    const outcome = tv('outcome', alarm.closed.outcome);
    card.append(h('p', { class: 'closed-banner', 'data-testid': 'alarm-closed', 'data-outcome': alarm.closed.outcome, role: 'status' },
      t('alarm.over', { outcome }), alarm.closed.at ? ` ${t('common.at', { time: fmtTime(alarm.closed.at) })}` : ''));
  }
  if (alarm.assemble && !alarm.closed) {
    card.append(renderAssemble(alarm.assemble));
  } else if (alarm.noticeText) {
    card.append(h('p', { class: 'notice-text', 'data-testid': 'alarm-notice', 'data-code': alarm.noticeText.code }, shownText(alarm.noticeText)));
  } else if (isNoticeOnly && !alarm.closed) {
    card.append(h('p', { class: 'notice-text', 'data-testid': 'alarm-notice', text: t('alarm.noRole') }));
  }
  for (const offer of offerOrder(alarm)) card.append(renderOffer(alarm, offer));
  // Said after the offers: the answer comes first on a small screen.
  const muted = !isNoticeOnly && !alarm.closed ? silentBecausePublic(alarm) : null;
  if (muted) {
    const text = t(muted === 'here' ? 'sound.mutedHere' : 'sound.mutedPublic');
    card.append(h('p', { class: 'sound-state', 'data-testid': 'sound-state', 'data-sound': `muted-${muted}`, text }));
  }
  const mine = [...alarm.offers.values()].filter((o) => o.status === 'accepted');
  if (mine.length && !alarm.closed) card.append(renderHolderActions(alarm, mine));
  if (alarm.roles && alarm.roles.length) card.append(renderRoles(alarm));
  const lastText = alarm.closed ? [] : describeEvent(alarm.lastEvent); // over: the banner says so
  if (lastText.length) {
    const help = alarm.lastEvent?.type === 'HelpRequested';
    card.append(h('p', { class: `last-event${help ? ' help' : ''}`, 'data-testid': 'last-event', 'data-event': str(alarm.lastEvent?.type) },
      t('alarm.latestLabel'), ...lastText));
  }
  if (alarm.closed) {
    card.append(btn({
      class: 'btn btn-secondary', 'data-testid': 'dismiss', 'data-focus-key': `${alarm.id}|dismiss`,
      'aria-label': t('alarm.dismissLabel'),
      onclick: () => { state.alarms.delete(alarm.id); renderAlarms(); },
    }, t('alarm.dismiss')));
    if (alarm.closed.seenAt) {
      const at = t('common.at', { time: fmtTime(new Date(alarm.closed.seenAt + state.closedKeepMs)) });
      card.append(h('p', { class: 'small muted', 'data-testid': 'clears-at', text: t('alarm.clearsAt', { time: at }) }));
    }
  }
  return card;
}

/** Told, not asked: where to gather and what to do there (an assembly role). */
function renderAssemble(a) {
  const where = str(a.at?.name) || str(a.at?.id) || str(a.title);
  const steps = Array.isArray(a.steps) ? a.steps.filter((x) => x && typeof x === 'object') : [];
  return h('section', { class: 'assemble', 'data-testid': 'assemble', 'data-role-id': str(a.role_id) },
    h('h3', {}, t('alarm.assembleLabel'), h('span', { text: where, ...DATA })),
    a.stance ? h('p', { class: 'stance' }, h('span', { class: 'label', text: t('offer.stance') }), tv('stance', a.stance)) : null,
    steps.length ? h('ol', { class: 'steps' }, steps.map((x, i) => h('li', { class: 'step', value: Number.isInteger(x.n) ? x.n : i + 1 },
      h('span', { class: 'step-text', ...DATA }, h('span', { class: 'step-n', text: `${Number.isInteger(x.n) ? x.n : i + 1}. ` }), str(x.text))))) : null);
}

/** An event's actor ("person:<id>", "device:<id>", "system") as a short name, or ''. Names
 * and device ids are data: the caller marks them. */
function actorName(actor) {
  if (!actor || actor === 'system') return '';
  const device = /^device:(.+)$/.exec(actor);
  if (device) return t('actor.button', { id: device[1] });
  const id = /^person:(.+)$/.exec(actor)?.[1] ?? actor;
  if (id === state.me.personId) return t('actor.you');
  for (const alarm of state.alarms.values()) {
    for (const r of alarm.roles || []) if (r.holder_id === id && str(r.holder)) return r.holder;
  }
  return id;
}

/** last_event as short line parts: {type, at, actor} from this server, or a plain string. */
function describeEvent(last) {
  if (typeof last === 'string') return last ? [last] : [];
  if (!last || typeof last !== 'object') return [];
  const what = tv('event', str(last.type)) || str(last.text) || str(last.kind);
  if (!what) return [];
  const who = actorName(str(last.actor));
  const when = str(last.at) ? ` ${t('common.at', { time: fmtTime(last.at) })}` : '';
  const name = who === t('actor.you') ? who : h('span', { text: who, ...DATA });
  return [what, ...(who ? [' (', name, ')'] : []), when];
}

function renderSteps(alarm, offer, key, working) {
  const ol = h('ol', { class: 'steps', 'data-testid': 'steps' });
  for (const s of offer.steps) {
    const done = offer.stepsDone.has(s.n);
    const sent = offer.stepsSent.has(s.n);
    const vars = { n: s.n, text: s.text };
    ol.append(h('li', { class: `step${done ? ' done' : ''}`, value: s.n, 'data-step': s.n, 'data-done': done ? 'true' : 'false' },
      h('span', { class: 'step-text', ...DATA }, h('span', { class: 'step-n', text: `${s.n}. ` }), s.text),
      working ? btn({
        class: `btn btn-tick${done || sent ? ' ticked' : ''}`, 'data-testid': `step-${s.n}`,
        'data-done': done ? 'true' : sent ? 'sent' : 'false', 'data-focus-key': `${key}|step-${s.n}`,
        'aria-pressed': done || sent ? 'true' : 'false',
        'aria-label': t(done ? 'step.doneLabel' : sent ? 'step.sentLabel' : 'step.doLabel', vars),
        disabled: done || sent, onclick: () => stepDone(alarm, offer, s.n),
      }, done ? t('step.done') : sent ? t('step.sent') : t('step.do'))
        : (done ? h('span', { class: 'tick', 'aria-hidden': 'true', text: ' ✓' }) : null)));
  }
  return ol;
}

/** A decline waits a few seconds before it is sent: the person can take it back. */
function undoLine(alarm, offer, key) {
  return h('div', { class: 'undo', 'data-testid': 'undo-box', role: 'status' },
    h('p', { class: 'status-line', 'data-testid': 'offer-status' },
      t('offer.declining'), ' ', h('span', { 'data-testid': 'undo-countdown', 'data-until': String(offer.declineAt) })),
    btn({ class: 'btn btn-undo', 'data-testid': 'undo-decline', 'data-focus-key': `${key}|undo`,
      'aria-label': t('offer.undoLabel', { title: offer.title }), onclick: () => undoDecline(alarm, offer) }, t('offer.undo')));
}

function statusLine(alarm, offer, status, key) {
  const line = (text, attrs = {}) => h('p', { class: 'status-line', 'data-testid': 'offer-status', ...attrs, text });
  const queued = (type) => isQueued((q) => q.type === type && q.alarm_id === alarm.id && q.role_id === offer.role_id);
  switch (status) {
    case 'accepted':
      return line(offer.confirmed ? t('offer.holding') : queued('accept') ? t('offer.acceptQueued') : t('offer.acceptSent'), { role: 'status' });
    case 'declining': return undoLine(alarm, offer, key);
    case 'declined': return line(queued('decline') ? t('offer.declineQueued') : t('offer.declined'));
    case 'taken': return line(t('offer.taken', { who: offer.holder || t('offer.someoneElse') }));
    case 'closed': return line(t('offer.closed'));
    case 'withdrawn': return line(t('offer.withdrawn'));
    default: return null;
  }
}

function answerButtons(alarm, offer, key) {
  const box = [];
  box.push(offer.deadline !== null
    ? h('p', { class: 'countdown', 'data-testid': 'countdown', role: 'timer', 'aria-live': 'off', 'data-deadline': String(offer.deadline) })
    : h('p', { class: 'countdown', 'data-testid': 'no-deadline', text: t('offer.noDeadline') }));
  box.push(h('div', { class: 'answer' },
    btn({ class: 'btn btn-accept', 'data-testid': 'accept', 'data-focus-key': `${key}|accept`,
      'aria-label': t('offer.acceptLabel', { title: offer.title }), onclick: () => accept(alarm, offer) }, t('offer.accept')),
    btn({ class: 'btn btn-decline', 'data-testid': 'decline', 'data-focus-key': `${key}|decline`,
      'aria-label': t('offer.declineLabel', { title: offer.title }), onclick: () => decline(alarm, offer) }, t('offer.decline'))));
  return box;
}

function renderOffer(alarm, offer) {
  const key = `${alarm.id}|${offer.role_id}`;
  const status = shownStatus(alarm, offer);
  const el = h('section', {
    class: `offer status-${status}`, 'data-testid': 'offer', 'data-alarm-id': alarm.id,
    'data-role-id': offer.role_id, 'data-status': status, 'data-confirmed': offer.confirmed ? 'true' : 'false',
    'data-leader': offer.leader ? 'true' : 'false', 'aria-label': t('offer.label', { title: offer.title }),
  });
  el.append(h('h3', { class: 'role-title', 'data-testid': 'role-title' },
    status === 'offered' ? t('offer.offer') : '', h('span', { text: offer.title, ...DATA }),
    offer.leader ? leaderBadge(offer.title) : null));
  const live = (status === 'offered' || status === 'accepted') && !alarm.closed;
  if (offer.stance && live) {
    el.append(h('p', { class: 'stance', 'data-testid': 'stance', 'data-stance': offer.stance },
      h('span', { class: 'label', text: t('offer.stance') }), tv('stance', offer.stance)));
  }
  // To decide: the answer comes first (reachable without scrolling), the steps to read below.
  if (status === 'offered') el.append(...answerButtons(alarm, offer, key));
  if (offer.steps.length && live) {
    const steps = renderSteps(alarm, offer, key, status === 'accepted');
    // Two offers waiting: the steps fold away, so the second offer stays on the first screen.
    el.append(status === 'offered' && waitingCount() > 1
      ? h('details', { class: 'steps-fold', 'data-testid': 'steps-fold' },
        h('summary', { text: t('offer.showSteps', { n: offer.steps.length }) }), steps)
      : steps);
  }
  const line = statusLine(alarm, offer, status, key);
  if (line) el.append(line);
  return el;
}

function renderHolderActions(alarm, mine) {
  const box = h('div', { class: 'holder-actions' });
  box.append(btn({ class: 'btn btn-help', 'data-testid': 'need-help', 'data-focus-key': `${alarm.id}|need-help`,
    'aria-label': t('help.label'), onclick: () => needHelp(alarm) }, t('help.button')));
  if (alarm.helpAt) {
    box.append(h('p', { class: 'small', 'data-testid': 'help-sent', role: 'status', text: t('help.sent', { time: fmtTime(new Date(alarm.helpAt)) }) }));
  }
  box.append(...placeActions(alarm));
  if (!mine.some((o) => o.leader)) return box;
  const armedClear = isArmed(`${alarm.id}|all-clear`);
  box.append(btn({
    class: `btn btn-clear${armedClear ? ' armed' : ''}`, 'data-testid': 'all-clear',
    'data-armed': armedClear ? 'true' : 'false', 'data-focus-key': `${alarm.id}|all-clear`,
    'aria-label': armedClear ? t('clear.armedLabel') : t('clear.label'), onclick: () => allClear(alarm),
  }, armedClear ? t('clear.armed') : t('clear.button')));
  if (alarm.allClearSent) box.append(h('p', { class: 'small', role: 'status', 'data-testid': 'all-clear-sent', text: t('clear.sent') }));
  const on = !state.lockdown;
  const armedLock = isArmed(`${alarm.id}|lockdown`);
  const lockText = on ? t('lock.on') : t('lock.off');
  box.append(btn({
    class: `btn btn-secondary${armedLock ? ' armed' : ''}`, 'data-testid': 'lockdown',
    'data-armed': armedLock ? 'true' : 'false', 'data-on': on ? 'true' : 'false', 'data-focus-key': `${alarm.id}|lockdown`,
    'aria-label': `${armedLock ? t('lock.armed') : ''}${on ? t('lock.onLabel') : lockText}`,
    onclick: () => toggleLockdown(alarm),
  }, armedLock ? t('lock.armed') : '', lockText));
  return box;
}

function renderRoles(alarm) {
  const box = h('div', { class: 'roles' },
    h('h4', { text: t('roles.heading') },
      alarm.state && !alarm.closed ? ` – ${tv('alarmState', alarm.state)}` : null));
  const ul = h('ul', { 'data-testid': 'roles' });
  for (const r of alarm.roles) {
    const who = nameOf(r.holder) || str(r.holder_id);
    const mine = holderIsMe(r) === true;
    // Once the alarm is over, a role still offered or waiting was simply never taken.
    const open = str(r.state) === 'offered' || str(r.state) === 'waiting';
    const shown = alarm.closed && open ? 'not_taken' : str(r.state);
    ul.append(h('li', { 'data-testid': 'role-row', 'data-role-id': r.role_id, 'data-state': shown, class: `role-row state-${shown}` },
      h('strong', { text: str(r.title) || r.role_id, ...DATA }), ': ',
      who ? h('span', { 'data-testid': 'role-holder' }, h('span', { text: who, ...DATA }), mine ? t('roles.youSuffix') : '')
        : h('span', { class: 'muted', text: alarm.closed ? t('common.nobody') : t('roles.nobodyYet') }),
      shown ? ` · ${tv('roleState', shown)}` : null,
      Array.isArray(r.steps_done) && r.steps_done.length ? h('span', { class: 'small', text: t('roles.stepsDone', { list: r.steps_done.join(', ') }) }) : null));
  }
  box.append(ul);
  return box;
}
