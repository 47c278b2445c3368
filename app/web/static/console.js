// Rollekort coordinator console: sign in through the organisation's identity provider (a session
// cookie, app/api/signin.py) or with an API token, see the live alarms of the offices it covers, open one for its replay, times per role, deviations and debrief exports.
// ES modules, no build step. Routes: #/ (live), #/alarm/<id> and #/office/<id> (handsets and
// role cards, console-office.js).

import { $, fmtTime } from './dom.js';
import { initLang, langButton, t, tv } from './i18n.js';
import './i18n-console.js';
import { ApiError, authHeaders, getJson, setToken, token, tokenFromUrl } from './console-api.js';
import { renderLive } from './console-live.js';
import { renderAlarmPage, stopReplay } from './console-replay.js';
import { renderOffice, renderOfficeLinks } from './console-office.js';
import { mountDebrief } from './console-debrief.js';
import { mountLearning } from './console-learning.js';
import { mountCounty } from './console-county.js';

// Pages that fetch what they show themselves: #/debrief/<id>, #/learning/<office>, #/county.
const PAGES = { debrief: mountDebrief, learning: mountLearning, county: (root, me) => mountCounty(root, me) };

const POLL_MS = 2000;
const app = { me: null, timer: null, alarms: null, debrief: null, seq: 0, oidc: null };

function route() {
  const page = /^#\/(debrief|learning|county)(?:\/(.+))?$/.exec(window.location.hash);
  if (page) return { view: page[1], id: page[2] ? decodeURIComponent(page[2]) : null };
  const office = /^#\/office\/(.+)$/.exec(window.location.hash);
  if (office) return { view: 'office', id: decodeURIComponent(office[1]) };
  const m = /^#\/alarm\/(.+)$/.exec(window.location.hash);
  return m ? { view: 'alarm', id: decodeURIComponent(m[1]) } : { view: 'live' };
}

function showError(err) {
  const el = $('fetch-error');
  el.hidden = !err;
  el.textContent = err ? t('c.fetchFailed', { msg: err.message }) : '';
}

function renderStatic() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.title = t('c.title');
  const who = $('whoami');
  who.hidden = !app.me;
  if (app.me) {
    const offices = app.me.offices.map((o) => o.name).join(', ');
    who.textContent = t('c.whoami', { role: tv('c.role', app.me.role), offices });
    who.dataset.role = app.me.role;
  }
  $('sign-out').hidden = !app.me;
  $('oidc-box').hidden = !app.oidc;
  $('or-token').hidden = !app.oidc;
  if (app.oidc) {
    $('oidc-sign-in').textContent = t('c.oidcSignIn', { label: app.oidc.label || t('c.oidcDefault') });
  }
}

function render() {
  renderStatic();
  const r = route();
  const signedIn = !!app.me;
  $('sign-in').hidden = signedIn;
  $('live-view').hidden = !signedIn || r.view !== 'live';
  $('alarm-view').hidden = !signedIn || r.view !== 'alarm';
  $('office-view').hidden = !signedIn || r.view !== 'office';
  $('page-view').hidden = !signedIn || !(r.view in PAGES);
  if (!signedIn) return;
  if (r.view in PAGES) PAGES[r.view]($('page-view'), app.me, r.id);
  renderOfficeLinks($('office-links'), app.me);
  if (r.view === 'office') renderOffice($('office-view'), app.me, r.id);
  if (r.view === 'live' && app.alarms) renderLive(app.alarms, $('live-list'), $('recent-list'));
  if (r.view === 'alarm' && app.debrief) renderAlarmPage(app.debrief, $('alarm-view'));
}

async function poll() {
  clearTimeout(app.timer);
  const seq = ++app.seq;
  const r = route();
  if (r.view === 'office' || r.view in PAGES) return; // these pages fetch what they show
  let again = true;
  try {
    if (r.view === 'live') {
      app.alarms = await getJson('/api/v1/console/alarms');
      if (seq !== app.seq) return;
      $('updated').textContent = t('c.updated', { time: fmtTime(new Date()) });
    } else {
      app.debrief = await getJson(`/api/v1/alarms/${encodeURIComponent(r.id)}/debrief.json`);
      if (seq !== app.seq) return;
      again = app.debrief.alarm.status === 'open'; // a closed alarm does not change any more
    }
    showError(null);
    render();
  } catch (err) {
    if (seq !== app.seq) return;
    if (err instanceof ApiError && err.status === 401) return signOut(t(token() ? 'c.rejected' : 'c.sessionEnded'));
    if (err instanceof ApiError && err.status === 404 && r.view === 'alarm') {
      $('alarm-view').textContent = t('c.notFound');
      again = false;
    } else {
      showError(err);
    }
  }
  if (again && seq === app.seq) app.timer = setTimeout(poll, POLL_MS);
}

async function signIn() {
  try {
    app.me = await getJson('/api/v1/whoami');
  } catch (err) {
    return signOut(err instanceof ApiError && err.status === 401 ? t('c.rejected') : err.message);
  }
  render();
  return poll();
}

/** Sign-out of a session from the identity provider: ended here, then at the provider. */
async function endSession() {
  try {
    const response = await fetch('/auth/logout', { method: 'POST', headers: authHeaders(), cache: 'no-store' });
    const { redirect } = await response.json();
    window.location.assign(redirect || '/console');
  } catch (err) {
    signOut(err.message);
  }
}

function signOut(message = '') {
  if (!message && app.me && !token()) {
    endSession();
    return;
  }
  clearTimeout(app.timer);
  app.seq++;
  stopReplay();
  setToken(null);
  Object.assign(app, { me: null, alarms: null, debrief: null });
  const err = $('sign-in-error');
  err.hidden = !message;
  err.textContent = message;
  render();
}

function onRoute() {
  stopReplay();
  app.debrief = null;
  if (route().view === 'alarm') $('alarm-view').textContent = t('c.loading');
  render();
  if (app.me) poll();
}

function start() {
  initLang();
  langButton($('lang-switch'), render);
  tokenFromUrl();
  $('sign-in').addEventListener('submit', (ev) => {
    ev.preventDefault();
    setToken($('token-input').value.trim());
    $('token-input').value = '';
    signIn();
  });
  $('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', onRoute);
  render();
  if (token()) signIn();
  else trySession();
}

/** Without a token: offer the identity provider when configured, and open the console when a
 * session from it is already there (back from the provider's sign-in page). */
async function trySession() {
  try {
    const config = await getJson('/auth/config');
    app.oidc = config.oidc ? config : null;
  } catch {
    app.oidc = null;
  }
  render();
  if (!app.oidc) return;
  try {
    app.me = await getJson('/api/v1/whoami');
  } catch {
    return; // no session yet: the sign-in panel stays
  }
  render();
  poll();
}

start();
