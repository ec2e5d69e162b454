// Sign-in with an API key. The role decides the views: the API has no "who am I" route, so the console asks
// what the key may read (keys: admin; stats: manager; queues: every valid key) and shows only that.
import { api } from '../api.js';
import { field, h, replace } from '../dom.js';
import { errorText, t } from '../i18n.js';
import { session } from '../session.js';
import { busy } from '../ui.js';

async function allowed(path, key, query) {
  try {
    await api(path, { key, query });
    return true;
  } catch (error) {
    if (error.status === 403) return false;
    throw error;
  }
}

export async function roleOf(key) {
  await api('queues', { key }); // 401 for a key that is not one
  if (await allowed('admin/keys', key)) return 'admin';
  // an empty range: the cheapest question the stats route answers
  if (await allowed('stats', key, { from: '2000-01-01', to: '2000-01-01', granularity: 'day' })) return 'manager';
  return 'agent';
}

export function mountSignIn(container, { onSignedIn }) {
  const input = h('input', {
    type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', spellcheck: 'false',
    required: true, autofocus: true,
  });
  const error = h('p', { class: 'error', id: 'signin-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'sign-in' }, t('signin.submit'));
  const form = h('form', { novalidate: true, class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, t('signin.title')),
    h('p', {}, t('signin.intro')),
    field(t('signin.key'), input, t('signin.keyHint')),
    submit,
    error);
  form.addEventListener('submit', busy(submit, async () => {
    replace(error);
    const key = input.value.trim();
    if (!key) {
      replace(error, t('signin.empty'));
      input.focus();
      return;
    }
    try {
      const role = await roleOf(key);
      input.value = '';
      session.signIn(key, role);
      onSignedIn(role);
    } catch (failure) {
      replace(error, errorText(failure));
      input.focus();
    }
  }));
  replace(container, form);
  input.focus();
  return { dispose() {} };
}
