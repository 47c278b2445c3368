// Small DOM and formatting helpers shared by the handset and the console. No dependencies.

import { locale, t } from './i18n.js';

/** h('button', {class, text, onclick, 'data-testid': …}, ...children) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function $(testid, root = document) {
  return root.querySelector(`[data-testid="${testid}"]`);
}

export function str(v) {
  return typeof v === 'string' ? v : '';
}

/** A person or holder may arrive as a string or as {id, name}. */
export function nameOf(v) {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') return str(v.name) || str(v.id);
  return '';
}

export function idOf(v) {
  return v && typeof v === 'object' ? str(v.id) : '';
}

/** 09:14:03 in the page's language (the handset's own time zone). */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function fmtDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

/** m:ss for a countdown. */
export function fmtClock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** 4.2 s / 1 min 5 s, or '–' for nothing. */
export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s < 60) return t('common.seconds', { s: s.toLocaleString(locale(), { maximumFractionDigits: 1 }) });
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
