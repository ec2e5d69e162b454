// The admin view: list, issue and revoke API keys. A new key is shown once, with a copy button; it is kept
// only in this page's memory (never stored) until the admin closes it or leaves the view.
import { api, seg } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { errorText, fmtDateTime, fmtNumber, queueName, t, timeTag } from '../i18n.js';
import { session } from '../session.js';
import { busy, notice, showError } from '../ui.js';
import { QUEUES } from './agent.js';

let issued = null; // {key, name}: survives a re-render (language switch), not a sign-out or leaving the view

async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    // no clipboard permission (an old browser, a locked-down profile): select it for Ctrl+C
    input.focus();
    input.select();
    return false;
  }
}

export function mountAdmin(container) {
  const issuedSlot = h('div', { class: 'issued-slot' });
  const keysSlot = h('section', { class: 'panel', 'aria-labelledby': 'keys-title' });

  const name = h('input', { type: 'text', id: 'key-name', maxlength: 100, required: true, autocomplete: 'off' });
  const role = select(['agent', 'manager', 'admin'].map((r) => [r, t(`role.${r}`)]), 'agent', { id: 'key-role' });
  const boxes = QUEUES.map((q) => h('input', { type: 'checkbox', id: `key-queue-${q}`, value: q }));
  const queues = h('fieldset', { class: 'queues-field', id: 'key-queues' },
    h('legend', {}, t('keys.queues')),
    boxes.map((box) => h('label', { class: 'check', for: box.id }, box, ' ', queueName(box.value))),
    h('p', { class: 'hint' }, t('keys.queuesHint')));
  const expires = h('input', { type: 'number', id: 'key-expires', min: 1, max: 1830, step: 1, inputmode: 'numeric' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'issue-key' }, t('keys.issue'));
  const formError = h('p', { class: 'error', role: 'alert', id: 'issue-error' });
  const form = h('form', { novalidate: true, class: 'panel issue-form', 'aria-labelledby': 'issue-title' },
    h('h2', { id: 'issue-title' }, t('keys.issueTitle')),
    field(t('keys.name'), name), field(t('keys.role'), role), queues,
    field(t('keys.expires'), expires, t('keys.expiresHint')), submit, formError);
  const syncQueues = () => {
    queues.disabled = role.value !== 'agent';
  };
  role.addEventListener('change', syncQueues);
  syncQueues();

  function showIssued() {
    if (!issued) {
      replace(issuedSlot);
      return;
    }
    const value = h('input', { type: 'text', id: 'new-key', readonly: true, value: issued.key, class: 'secret', spellcheck: 'false' });
    const status = h('p', { class: 'form-status', role: 'status', id: 'copy-status' });
    const copy = h('button', { type: 'button', class: 'primary', id: 'copy-key' }, t('keys.copy'));
    copy.addEventListener('click', async () => {
      replace(status, (await copyText(value)) ? t('keys.copied') : t('keys.copyManually'));
    });
    const done = h('button', { type: 'button', class: 'secondary', id: 'close-key' }, t('keys.done'));
    done.addEventListener('click', () => {
      issued = null;
      showIssued();
      name.focus();
    });
    replace(issuedSlot, h('section', { class: 'panel issued', 'aria-labelledby': 'issued-title', id: 'issued' },
      h('h2', { id: 'issued-title' }, t('keys.issuedTitle', { name: issued.name })),
      h('p', { class: 'warning' }, t('keys.once')),
      field(t('keys.key'), value), h('div', { class: 'toolbar' }, copy, done), status));
    copy.focus();
  }

  form.addEventListener('submit', busy(submit, async () => {
    replace(formError);
    const body = { name: name.value.trim(), role: role.value };
    if (!body.name) {
      replace(formError, t('keys.nameNeeded'));
      name.focus();
      return;
    }
    if (role.value === 'agent') {
      body.queues = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!body.queues.length) {
        replace(formError, t('keys.queueNeeded'));
        boxes[0].focus();
        return;
      }
    }
    if (expires.value) body.expires_in_days = Number(expires.value);
    try {
      const created = await api('admin/keys', { method: 'POST', body });
      issued = { key: created.key, name: created.name };
      form.reset();
      syncQueues();
      showIssued();
      await loadKeys();
    } catch (error) {
      replace(formError, errorText(error));
    }
  }));

  function revokeCell(key) {
    const cell = h('td', { class: 'actions-cell' });
    const own = key.key_id === session.keyId();
    if (key.revoked_at) return h('td', {}, t('keys.revokedAt', { at: fmtDateTime(key.revoked_at) }));
    if (own) return h('td', { class: 'hint' }, t('keys.own'));
    const ask = () => {
      const confirm = h('button', { type: 'button', class: 'danger', id: `confirm-revoke-${key.key_id}` },
        t('keys.confirmRevoke', { name: key.name }));
      const cancel = h('button', { type: 'button', class: 'secondary' }, t('keys.cancel'));
      confirm.addEventListener('click', busy(confirm, async () => {
        try {
          await api(`admin/keys/${seg(key.key_id)}`, { method: 'DELETE' });
          notice(t('keys.revoked', { name: key.name }));
          await loadKeys();
        } catch (error) {
          showError(error);
        }
      }));
      cancel.addEventListener('click', () => {
        replace(cell, start());
        cell.querySelector('button').focus();
      });
      replace(cell, confirm, ' ', cancel);
      confirm.focus();
    };
    const start = () => h('button', {
      type: 'button', class: 'secondary', id: `revoke-${key.key_id}`, onclick: ask,
      'aria-label': t('keys.revokeNamed', { name: key.name }),
    }, t('keys.revoke'));
    replace(cell, start());
    return cell;
  }

  async function loadKeys() {
    try {
      const { keys, left_out: leftOut = 0 } = await api('admin/keys');
      keys.sort((a, b) => (a.revoked_at ? 1 : 0) - (b.revoked_at ? 1 : 0) || b.created_at.localeCompare(a.created_at));
      replace(keysSlot, h('h2', { id: 'keys-title' }, t('keys.title')),
        h('table', { id: 'keys-table' },
          h('caption', { class: 'visually-hidden' }, t('keys.title')),
          h('thead', {}, h('tr', {}, ['keys.id', 'keys.name', 'keys.role', 'keys.queues', 'keys.created', 'keys.expiresAt', 'keys.status']
            .map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', {}, keys.map((key) => h('tr', { class: key.revoked_at ? 'revoked' : null, dataset: { keyId: key.key_id } },
            h('td', {}, h('code', {}, key.key_id)),
            h('th', { scope: 'row' }, key.name),
            h('td', {}, t(`role.${key.role}`)),
            h('td', {}, key.role === 'agent' ? key.queues.map(queueName).join(', ') : t('keys.allQueues')),
            h('td', {}, timeTag(key.created_at)),
            h('td', {}, key.expires_at ? timeTag(key.expires_at) : t('keys.never')),
            revokeCell(key))))),
        leftOut ? h('p', { class: 'hint', id: 'keys-left-out' }, t('keys.leftOut', { n: fmtNumber(leftOut), count: leftOut })) : null);
    } catch (error) {
      showError(error);
    }
  }

  replace(container, h('div', { class: 'admin' }, h('h1', {}, t('keys.heading')), issuedSlot,
    h('div', { class: 'admin-grid' }, form, keysSlot)));
  showIssued();
  loadKeys();
  return {
    dispose() {
      if (!location.hash.startsWith('#/keys')) issued = null;
    },
  };
}
