// Small DOM helpers: element builder (no innerHTML, no inline styles), panels, toasts, formats.

/** Builds an element. attrs: `class`, `text`, `on<event>` handlers, booleans, other attributes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** A titled panel; `body` is filled later by the caller. */
export function panel(title, ...children) {
  const body = h('div', { class: 'panel-body' }, ...children);
  const el = h('section', { class: 'panel' }, title ? h('h2', { text: title }) : null, body);
  return { el, body };
}

/** Shows an API failure inside a panel. A 404 means the route is not on this server (yet). */
export function showError(el, err) {
  clear(el);
  if (err && err.status === 404 && err.routeMissing) {
    el.append(h('p', { class: 'unavailable', text: 'Not available on this server.' }));
  } else {
    el.append(h('p', { class: 'error-text', role: 'alert', text: (err && err.message) || 'Something went wrong' }));
  }
}

let toastTimer = null;
export function toast(message) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

export function money(value, currency = 'ZAR') {
  const n = Number(value);
  if (!Number.isFinite(n)) return '–';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(n);
  } catch {
    return n.toFixed(2);
  }
}

export function pct(value) {
  const n = Number(value);
  return Number.isFinite(n) ? `${n.toFixed(1)} %` : '–';
}

export function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function badge(status) {
  const s = String(status || 'unknown');
  return h('span', { class: `badge badge-${s}`, 'data-status': s, text: s.replace(/_/g, ' ') });
}

/** A labelled form field with a place for the server's message about it. */
export function field(name, label, control) {
  control.id = control.id || `f-${name}`;
  control.name = name;
  const error = h('p', { class: 'field-error', id: `${control.id}-error`, 'data-error-for': name, 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', error.id);
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control, error);
}

/** Puts the server's validation messages next to their fields; returns true if any matched. */
export function showFieldErrors(form, fields) {
  form.querySelectorAll('.field-error').forEach((p) => { p.textContent = ''; });
  let matched = false;
  for (const { field: name, message } of fields) {
    const p = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (p) { p.textContent = message; matched = true; }
  }
  return matched;
}

export function select(options, value) {
  return h('select', {}, ...options.map(([v, label]) => h('option', { value: v, selected: v === value, text: label })));
}
