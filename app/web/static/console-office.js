// The console's office page (#/office/<id>): the readiness panel (coverage, drills, debriefs;
// console-readiness.js), the handsets panel (pair a phone with a one-time
// code, list, revoke) and the role-cards panel (upload, see the problems by line, activate,
// history), plus the links to it from the live view and the writes both panels need.

import { h } from './dom.js';
import { lang, t } from './i18n.js';
import './i18n-office.js';
import './i18n-learning.js';
import { WRITERS } from './console-write.js';
import { mountHandsets } from './console-handsets.js';
import { mountRolecards } from './console-rolecards.js';
import { mountReadiness } from './console-readiness.js';
import { mountPhones } from './console-phones.js';

/** The live view's list of offices, each with a link to its page. */
export function renderOfficeLinks(list, me) {
  const key = `${lang()}|${JSON.stringify(me.offices)}`;
  if (list.dataset.key === key) return; // redrawn only when it changes: the focus stays put
  list.dataset.key = key;
  list.replaceChildren(...me.offices.map((o) => h('li', {},
    h('a', {
      href: `#/office/${encodeURIComponent(o.office_id)}`, 'data-testid': 'office-link', 'data-office-id': o.office_id,
    }, h('strong', { text: o.name }), ` · ${t('o.manage')}`))));
}

/** Draw the office page; the panels keep their state while the office and the token stay. */
export function renderOffice(view, me, officeId) {
  const office = me.offices.find((o) => o.office_id === officeId);
  if (!office) {
    view.replaceChildren(h('p', { class: 'error', 'data-testid': 'office-missing', text: t('o.unknownOffice') }));
    return;
  }
  const ctx = { me, officeId, canWrite: WRITERS.has(me.role) };
  const readiness = h('section', { class: 'panel', 'data-testid': 'readiness-panel', 'aria-labelledby': 'readiness-h' });
  const phones = h('section', { class: 'panel', 'data-testid': 'phones-panel', 'aria-labelledby': 'phones-h' });
  const handsets = h('section', { class: 'panel', 'data-testid': 'handsets-panel', 'aria-labelledby': 'handsets-h' });
  const rolecards = h('section', { class: 'panel', 'data-testid': 'rolecards-panel', 'aria-labelledby': 'rolecards-h' });
  view.replaceChildren(
    h('p', {}, h('a', { href: '#/', 'data-testid': 'back', text: t('c.back') })),
    h('h2', { class: 'office-title', 'data-testid': 'office-title', text: t('o.title', { office: office.name }) }),
    h('p', {}, h('a', { href: `#/learning/${encodeURIComponent(officeId)}`, 'data-testid': 'learning-link', text: t('l.link') })),
    readiness,
    phones,
    handsets,
    rolecards,
  );
  mountReadiness(readiness, ctx);
  mountPhones(phones, ctx);
  mountHandsets(handsets, ctx);
  mountRolecards(rolecards, ctx);
}
