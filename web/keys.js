// API keys: per provider save, test, delete, a status badge and the masked key. Never shows a secret.

import { get, post, del } from './api.js';
import { h, clear, panel, showError, toast, badge, time } from './ui.js';
import { debounce } from './bots.js';

export function mount(root, ctx) {
  root.append(h('h1', { text: 'API keys' }));
  const box = panel(null);
  root.append(box.el);

  const card = (p, entry) => {
    const id = p.id;
    // Whatever the provider calls them, the save/test aliases accept these three names.
    const wanted = (p.required_fields || []).map(String);
    const needs = ['api_key'];
    if (wanted.some((f) => f.includes('secret')) || (wanted.length === 0 && p.type !== 'ai')) needs.push('api_secret');
    if (wanted.some((f) => f.includes('passphrase')) || p.requires_passphrase) needs.push('passphrase');
    const inputs = needs.map((f) => {
      const input = h('input', { type: f === 'api_key' ? 'text' : 'password', id: `key-${id}-${f}`, name: f, autocomplete: 'off' });
      return h('div', {}, h('label', { for: input.id, text: f.replace(/_/g, ' ') }), input);
    });
    const form = h('form', { 'data-provider': id, novalidate: true }, h('div', { class: 'form-grid' }, ...inputs));
    const body = () => ({ provider: id, ...Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v)) });
    const act = (label, fn) => h('button', { type: 'button', class: label === 'Delete' ? 'danger' : 'ghost', text: label, 'aria-label': `${label} ${p.display_name} key`, onclick: fn });
    form.append(h('div', { class: 'actions' },
      h('button', { type: 'submit', text: 'Save', 'aria-label': `Save ${p.display_name} key` }),
      act('Test', async () => {
        try { const r = await post('/keys/test', body()); toast(r.success ? `${p.display_name}: key works` : `${p.display_name}: ${r.error || r.message}`); } catch (err) { toast(err.message); }
        reload();
      }),
      act('Delete', async () => {
        if (!window.confirm(`Delete the ${p.display_name} key?`)) return;
        try { await del(`/keys/${encodeURIComponent(id)}`); toast('Key deleted'); } catch (err) { toast(err.message); }
        reload();
      })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try { await post('/keys/save', body()); form.reset(); toast(`${p.display_name} key saved`); } catch (err) { toast(err.message); }
      reload();
    });
    return h('section', { class: 'panel', 'data-provider': id },
      h('h2', {}, `${p.display_name} `, badge(entry?.status || 'not_configured')),
      h('p', { class: 'muted', text: entry?.masked_key ? `Key ${entry.masked_key}${entry.last_tested_at ? ` · tested ${time(entry.last_tested_at)}` : ''}` : 'No key saved' }),
      entry?.last_test_error ? h('p', { class: 'error-text', text: entry.last_test_error }) : null,
      form);
  };

  const reload = async () => {
    try {
      const [providers, list] = await Promise.all([get('/keys/providers'), get('/keys/list')]);
      ctx.stamp();
      const entries = new Map((Array.isArray(list) ? list : list.keys || list.api_keys || list.providers || []).map((k) => [k.provider, k]));
      clear(box.body).append(h('div', { class: 'grid' }, ...providers.providers.map((p) => card(p, entries.get(p.id)))));
    } catch (err) { showError(box.body, err); }
  };
  const soon = debounce(reload);
  reload();
  return { reload, onEvent: (evt) => { if (/^(key_|api_key)/.test(evt.type)) soon(); } };
}
