// Login and register forms. The invite code field appears when the server asks for one.

import { post, saveSession } from './api.js';
import { h, clear, field, showFieldErrors } from './ui.js';

export function renderAuth(root, onLoggedIn) {
  clear(root);
  const invited = new URLSearchParams(location.search).get('invite');
  const loginTab = h('button', { type: 'button', role: 'tab', id: 'tab-login', 'aria-selected': 'true', text: 'Log in' });
  const registerTab = h('button', { type: 'button', role: 'tab', id: 'tab-register', 'aria-selected': 'false', text: 'Register' });
  const message = h('p', { id: 'auth-message', role: 'alert', class: 'error-text' });

  const login = h('form', { id: 'login-form', class: 'panel', 'aria-labelledby': 'tab-login', novalidate: true },
    h('h1', { text: 'Log in' }),
    field('email', 'Email', h('input', { type: 'email', autocomplete: 'username', required: true, id: 'login-email' })),
    field('password', 'Password', h('input', { type: 'password', autocomplete: 'current-password', required: true, id: 'login-password' })),
    h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Log in' })));

  const inviteField = field('invite_code', 'Invite code', h('input', { type: 'text', id: 'reg-invite', value: invited || '' }));
  inviteField.hidden = !invited;
  const register = h('form', { id: 'register-form', class: 'panel', 'aria-labelledby': 'tab-register', novalidate: true, hidden: true },
    h('h1', { text: 'Create an account' }),
    field('first_name', 'First name', h('input', { type: 'text', autocomplete: 'given-name', required: true, id: 'reg-name' })),
    field('email', 'Email', h('input', { type: 'email', autocomplete: 'email', required: true, id: 'reg-email' })),
    field('password', 'Password (8+ characters, a letter and a digit)', h('input', { type: 'password', autocomplete: 'new-password', required: true, id: 'reg-password' })),
    inviteField,
    h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Register' })));

  const show = (which) => {
    login.hidden = which !== 'login';
    register.hidden = which !== 'register';
    loginTab.setAttribute('aria-selected', String(which === 'login'));
    registerTab.setAttribute('aria-selected', String(which === 'register'));
    message.textContent = '';
  };
  loginTab.addEventListener('click', () => show('login'));
  registerTab.addEventListener('click', () => show('register'));

  login.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.textContent = '';
    const data = new FormData(login);
    try {
      const body = await post('/auth/login', { email: data.get('email'), password: data.get('password') });
      saveSession(body);
      onLoggedIn();
    } catch (err) {
      if (!showFieldErrors(login, err.fields)) message.textContent = err.message;
    }
  });

  register.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.textContent = '';
    const data = new FormData(register);
    const body = { first_name: data.get('first_name'), email: data.get('email'), password: data.get('password') };
    if (data.get('invite_code')) body.invite_code = data.get('invite_code');
    try {
      const answer = await post('/auth/register', body);
      if (answer.status === 'pending') {
        show('login');
        message.classList.remove('error-text');
        message.textContent = answer.message || 'Signup received. Await approval.';
        return;
      }
      saveSession(answer);
      onLoggedIn();
    } catch (err) {
      if (err.status === 403 && inviteField.hidden) {
        inviteField.hidden = false;
        register.querySelector('#reg-invite').focus();
      }
      if (!showFieldErrors(register, err.fields)) message.textContent = err.message;
    }
  });

  root.append(h('div', { class: 'tabs', role: 'tablist' }, loginTab, registerTab), message, login, register);
  if (invited) show('register');
}
