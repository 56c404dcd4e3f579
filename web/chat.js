// AI chat: the user's history, send, new conversation, clear. `reset()` wipes the view on logout.

import { get, post } from './api.js';
import { h, clear, panel, showError, toast } from './ui.js';

let conversationId = null;
let logEl = null;

export function reset() {
  conversationId = null;
  if (logEl) clear(logEl);
  logEl = null;
}

function bubble(m) {
  return h('div', { class: `msg msg-${m.role === 'user' ? 'user' : 'assistant'}`, 'data-role': m.role, text: m.content });
}

export function mount(root, ctx) {
  root.append(h('h1', { text: 'AI chat' }));
  const box = panel(null);
  root.append(box.el);
  const log = h('div', { class: 'chat-log', id: 'chat-log', role: 'log', 'aria-live': 'polite' });
  logEl = log;
  const input = h('textarea', { id: 'chat-input', rows: '2', maxlength: '4000', required: true });
  const form = h('form', { id: 'chat-form' },
    h('label', { for: 'chat-input', text: 'Message' }), input,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', text: 'Send' }),
      h('button', { type: 'button', class: 'ghost', text: 'New conversation', onclick: async () => {
        try { const c = await post('/ai/conversations', {}); conversationId = c.id || c.conversation_id || null; } catch { conversationId = null; }
        clear(log);
        input.focus();
      } }),
      h('button', { type: 'button', class: 'danger', text: 'Clear history', onclick: async () => {
        if (!window.confirm('Delete your whole chat history?')) return;
        try { await post('/ai/chat/clear', {}); clear(log); conversationId = null; } catch (err) { toast(err.message); }
      } })));
  // Enter sends, Shift+Enter starts a new line.
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  const history = h('div');
  box.body.append(history, log, form);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    input.value = '';
    log.append(bubble({ role: 'user', content }));
    try {
      const body = { content };
      if (conversationId) body.conversation_id = conversationId;
      const reply = await post('/ai/chat', body);
      conversationId = reply.conversation_id || conversationId;
      if (reply.action === 'show_admin_panel') {
        log.append(bubble({ role: 'assistant', content: 'Use the Admin button at the top and enter the admin password.' }));
      } else log.append(bubble({ role: 'assistant', content: reply.content || '' }));
    } catch (err) {
      log.append(bubble({ role: 'assistant', content: `Error: ${err.message}` }));
    }
    log.scrollTop = log.scrollHeight;
  });

  const reload = async () => {
    try {
      const q = conversationId ? `&conversation_id=${encodeURIComponent(conversationId)}` : '';
      const answer = await get(`/ai/chat/history?limit=100${q}`);
      ctx.stamp();
      clear(history);
      clear(log).append(...(answer.messages || []).map(bubble));
      log.scrollTop = log.scrollHeight;
    } catch (err) { showError(history, err); }
  };
  reload();
  return { reload, unmount: () => { logEl = null; } };
}
