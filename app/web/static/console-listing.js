// An uploaded office file as the console shows it: every line numbered, the lines with a problem
// marked (errors and warnings told apart by a word and a border, not by colour alone, and
// named for screen readers), each problem with its line:column right under its line, and a
// summary above with a button that takes the keyboard focus to the line.

import { h } from './dom.js';
import { t, tv } from './i18n.js';

const RANK = { error: 0, warning: 1 };

function position(p) {
  return p.line ? `${p.line}:${p.column ?? 1}` : t('r.noPlace');
}

function problemItem(p, testid) {
  return h('li', {
    class: `problem sev-${p.severity}`, 'data-testid': testid, 'data-severity': p.severity,
    'data-line': p.line ?? '', 'data-column': p.column ?? '',
  },
  h('strong', { class: 'sev', text: tv('r.sev', p.severity) }), ' ',
  h('span', { class: 'pos', text: position(p) }), ' ',
  p.path ? h('code', { class: 'path', text: p.path }) : null, p.path ? ' ' : null,
  h('span', { class: 'msg', text: p.message }));
}

function goTo(listing, line) {
  const el = listing.querySelector(`[data-testid="rc-line"][data-line="${line}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'center' });
  el.focus({ preventScroll: true });
}

/** The problems in file order (errors first on a line), each with a way to its line. */
function summary(problems, listing) {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || RANK[a.severity] - RANK[b.severity]);
  return h('ul', { class: 'problems', 'data-testid': 'rc-problems' }, sorted.map((p) => {
    const item = problemItem(p, 'rc-summary-problem');
    if (p.line) {
      item.append(' ', h('button', {
        type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'rc-goto',
        text: t('r.goTo', { line: p.line }), onclick: () => goTo(listing, Math.min(p.line, listing.childElementCount)),
      }));
    }
    return item;
  }));
}

function listingOf(content, problems) {
  const lines = content.replace(/\r\n?/g, '\n').split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const byLine = new Map();
  for (const p of problems) {
    if (!p.line) continue;
    const n = Math.min(p.line, lines.length);
    if (!byLine.has(n)) byLine.set(n, []);
    byLine.get(n).push(p);
  }
  return h('ol', { class: 'listing', 'data-testid': 'rc-listing' }, lines.map((text, i) => {
    const n = i + 1;
    const here = (byLine.get(n) || []).sort((a, b) => RANK[a.severity] - RANK[b.severity]);
    const sev = here.length ? here[0].severity : null;
    return h('li', {
      class: `src-line${sev ? ` sev-${sev}` : ''}`, id: `rc-line-${n}`, 'data-testid': 'rc-line',
      'data-line': n, 'data-severity': sev, tabindex: sev ? '-1' : null,
    },
    h('span', { class: 'ln', 'aria-hidden': 'true', text: String(n) }),
    sev ? h('span', { class: 'sr-only', text: t('r.lineSr', { line: n, what: tv('r.sev', sev) }) }) : null,
    h('code', { class: 'src', text: text || ' ' }),
    here.length ? h('ul', { class: 'line-problems' }, here.map((p) => problemItem(p, 'rc-problem'))) : null);
  }));
}

/** The summary of problems and the numbered file with them in place. */
export function renderListing(content, problems) {
  const listing = listingOf(content, problems);
  const wrap = h('div', {
    class: 'listing-wrap', role: 'region', tabindex: '0', 'aria-label': t('r.listing'),
  }, listing);
  return h('div', { class: 'checked' },
    h('h4', { text: t('r.problems') }),
    problems.length ? summary(problems, listing) : h('p', { class: 'ok', 'data-testid': 'rc-no-problems', text: t('r.noProblems') }),
    wrap);
}
