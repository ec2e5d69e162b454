// Send a WhatsApp template from a conversation (POST /conversations/{id}/template-replies): 24 hours after the
// customer last wrote, WhatsApp takes only a template Meta approved, so the reply box says the window is closed and
// this offers one instead: choose it by name and language, one box per parameter ({{1}}...), the words the customer
// will read shown as they are typed, and Send. One idempotency key per attempt, kept per tab until the API accepts it
// (a double click, a retry or a refresh sends the same key: the customer never gets it twice). While the window is
// open it is offered too, folded. Its refusals are said in words beside it.
import { api, seg } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { errorText, fmtNumber, t } from '../i18n.js';
import { session } from '../session.js';
import {
  MAX_PARAMETER, choiceValue, choices, chosenTemplate, onlyTemplates, parametersProblem, pendingTemplateAttempt,
  previewParts, templateReplyBody,
} from '../templates.js';
import { busy, notice } from '../ui.js';

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function readJson(text) {
  try {
    return JSON.parse(text || 'null');
  } catch {
    return null; // a damaged entry: as if none
  }
}

// `conversation`: its id; `readTemplates()`: the saved templates (the caller keeps them for the view), `forget()`
// drops those kept (one the API no longer knows); `sent()`: the conversation is read again (the reply joins its
// timeline); `refused(error)`: true when the caller said it (a lease lost, a rate limit)
export function templateReplyView(item, { conversation, readTemplates, forget, sent, refused, canManage }) {
  const closed = onlyTemplates(item);
  const scope = `${conversation}:template`;
  const pendingName = `pendingTemplate.${conversation}`;
  const saved = readJson(session.draft(scope)) || {};
  let templates = [];
  let values = Array.isArray(saved.values) ? saved.values.map(String) : [];

  const body = h('div', { class: 'template-reply-body' }, h('p', { class: 'loading', id: 'template-loading' },
    t('templateReply.loading')));
  const status = h('p', { class: 'form-status', role: 'status', id: 'template-status' });
  const section = h('details', { class: ['template-reply', closed && 'only-templates'], id: 'template-reply',
    open: closed || Boolean(saved.choice) },
  h('summary', { id: 'template-reply-title' }, t(closed ? 'templateReply.title' : 'templateReply.titleOpen')),
  h('p', { class: 'hint', id: 'template-reply-hint' }, t(closed ? 'templateReply.hintClosed' : 'templateReply.hintOpen')),
  body, status);

  const keep = (choice) => session.saveDraft(scope, choice ? JSON.stringify({ choice, values }) : '');

  function none() {
    replace(body, h('p', { class: 'empty', id: 'template-none' }, t('templateReply.none')),
      canManage ? h('p', {}, h('a', { href: '#/templates', id: 'template-manage' }, t('templateReply.manage'))) : null);
  }

  function draw() {
    const list = choices(templates, item.language);
    if (!list.length) {
      none();
      return;
    }
    const picker = select([['', t('templateReply.choose')], ...list.map((one) => [choiceValue(one),
      t('templateReply.option', { name: one.name, language: one.language })])],
    chosenTemplate(list, saved.choice) ? saved.choice : '', { id: 'template-choice' });
    const inputs = h('div', { class: 'template-parameters', id: 'template-parameters' });
    const preview = h('p', { class: 'template-preview text', id: 'template-preview', 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'primary', id: 'send-template' }, t('templateReply.send'));
    const form = h('form', { novalidate: true, class: 'template-form', 'aria-labelledby': 'template-reply-title' },
      field(t('templateReply.template'), picker),
      inputs,
      h('div', { class: 'template-preview-box', hidden: true, id: 'template-preview-box' },
        h('p', { class: 'template-preview-label', id: 'template-preview-label' }, t('templateReply.preview')),
        preview),
      send);
    preview.setAttribute('aria-labelledby', 'template-preview-label');

    const current = () => chosenTemplate(list, picker.value);

    // the words the customer will read: a parameter typed is marked, one not typed yet shows as {{n}}
    function showPreview() {
      const template = current();
      document.getElementById('template-preview-box').hidden = !template;
      replace(preview, template ? previewParts(template.body, values).map((part) => ('text' in part ? part.text
        : part.value !== null ? h('mark', { class: 'template-value' }, part.value)
          : h('span', { class: 'template-missing' }, `{{${part.parameter}}}`))) : null);
    }

    function drawInputs() {
      const template = current();
      const count = template ? template.parameters : 0;
      values = Array.from({ length: count }, (_, i) => values[i] ?? '');
      replace(inputs, Array.from({ length: count }, (_, i) => {
        const input = h('input', { type: 'text', id: `template-parameter-${i + 1}`, value: values[i], autocomplete: 'off',
          maxlength: MAX_PARAMETER, class: 'template-parameter' });
        input.addEventListener('input', () => {
          values[i] = input.value;
          input.removeAttribute('aria-invalid');
          replace(status); // a refusal said of what she is changing no longer holds
          keep(picker.value);
          showPreview();
        });
        return field(t('templateReply.parameter', { n: `{{${i + 1}}}` }), input);
      }));
      send.disabled = !template;
      showPreview();
    }

    picker.addEventListener('change', () => {
      values = [];
      replace(status);
      keep(picker.value);
      drawInputs();
      document.getElementById('template-parameter-1')?.focus();
    });

    form.addEventListener('submit', busy(send, async () => {
      replace(status);
      const template = current();
      if (!template) {
        replace(status, t('templateReply.chooseFirst'));
        picker.focus();
        return;
      }
      const problem = parametersProblem(template, values);
      if (problem) {
        replace(status, t(`templateReply.problem.${problem.problem}`, { n: `{{${problem.n}}}`,
          max: fmtNumber(problem.max ?? 0), over: fmtNumber(problem.over ?? 0) }));
        const input = document.getElementById(`template-parameter-${problem.n}`);
        input?.setAttribute('aria-invalid', 'true');
        input?.focus();
        return;
      }
      // the customer never gets it twice: the same template and parameters asked again carry the same key
      const pending = pendingTemplateAttempt(readJson(session.get(pendingName)), template, values, newKey());
      session.set(pendingName, JSON.stringify(pending));
      replace(status, t('templateReply.sending'));
      try {
        await api(`conversations/${seg(conversation)}/template-replies`, {
          method: 'POST', body: templateReplyBody(template, values, pending.key) });
      } catch (error) {
        if (refused(error)) {
          replace(status);
          return;
        }
        replace(status, error.code === 'invalid_template_parameters' && error.message
          ? t('templateReply.error.parameters', { message: error.message }) : errorText(error));
        if (error.code === 'unknown_template') {
          // removed meanwhile by a manager: the picker offers what is saved now (the refusal stays said below it)
          forget();
          const now = await readTemplates();
          if (now) {
            templates = now;
            draw();
          }
        }
        return;
      }
      session.set(pendingName, null);
      session.saveDraft(scope, '');
      notice(t('templateReply.sent', { name: template.name, language: template.language }));
      await sent();
    }, () => Boolean(current())));

    replace(body, form);
    drawInputs();
  }

  readTemplates().then((answer) => {
    templates = answer;
    if (templates === null) replace(body, h('p', { class: 'error', id: 'template-failed' }, t('templateReply.failed')));
    else draw();
  });
  return section;
}
