// The saved-replies view (managers, admins): approved answers agents insert into their replies. A form adds
// one or changes one at the revision read; the list shows each with its queues, language and who changed it
// last, and deletes in two steps. Agents only use them, from the reply box (views/agent.js).
import { api, seg } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { errorText, locale, queueName, t, timeTag } from '../i18n.js';
import { busy, notice, showError } from '../ui.js';
import { QUEUES } from './agent.js';

const MAX = 100; // the API keeps at most this many (409 saved_replies_full beyond it)
const TOKEN = '{{customer_name}}';

// what the form held when the view was redrawn (a language switch): survives that, not leaving the view
let draft = null;

// "manager:Mana (0a1b63147c8b155f)" -> "Mana"
function actorName(actor) {
  return String(actor || '').replace(/^[a-z_]+:/, '').replace(/\s*\([0-9a-f]{16}\)$/, '') || '—';
}

// a message with one placeholder filled by an element (the token as code, a time): [before, node, after]
function withNode(text, placeholder, node) {
  const at = text.indexOf(placeholder);
  return at < 0 ? [text] : [text.slice(0, at), node, text.slice(at + placeholder.length)];
}

const queuesText = (queues) => (queues.length
  ? new Intl.ListFormat(locale(), { type: 'conjunction' }).format(queues.map(queueName)) : t('saved.everyQueue'));
const languageText = (lang) => (lang ? t(`filter.language.${lang}`) : t('saved.anyLanguage'));

export function mountSavedReplies(container) {
  let editing = null; // {id, rev, title} while the form changes a saved reply; null: it adds one
  let items = [];

  const heading = h('h2', { id: 'saved-form-title' });
  const title = h('input', { type: 'text', id: 'saved-title', maxlength: 80, required: true, autocomplete: 'off' });
  const text = h('textarea', { id: 'saved-text', maxlength: 2000, rows: 6, required: true });
  const boxes = QUEUES.map((q) => h('input', { type: 'checkbox', id: `saved-queue-${q}`, value: q }));
  const queues = h('fieldset', { class: 'queues-field', id: 'saved-queues', 'aria-describedby': 'saved-queues-hint' },
    h('legend', {}, t('saved.queues')),
    boxes.map((box) => h('label', { class: 'check', for: box.id }, box, ' ', queueName(box.value))),
    h('p', { class: 'hint', id: 'saved-queues-hint' }, t('saved.queuesHint')));
  const lang = select([['', t('saved.anyLanguage')], ['en', t('filter.language.en')], ['ja', t('filter.language.ja')]],
    '', { id: 'saved-language' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'saved-submit' }, t('saved.save'));
  const cancel = h('button', { type: 'button', class: 'secondary', id: 'saved-cancel', hidden: true }, t('saved.cancel'));
  const formError = h('p', { class: 'error', role: 'alert', id: 'saved-error' });
  // the error goes above the fields: the field it names (or the title) gets the focus, so it is in view
  const form = h('form', { novalidate: true, class: 'panel saved-form', 'aria-labelledby': 'saved-form-title' },
    heading, formError,
    field(t('saved.title'), title, t('saved.titleHint')),
    field(t('saved.text'), text, withNode(t('saved.textHint'), '{token}', h('code', {}, TOKEN))),
    queues, field(t('saved.language'), lang),
    h('div', { class: 'toolbar' }, submit, cancel));
  const listSlot = h('section', { class: 'panel saved-list-panel', 'aria-labelledby': 'saved-list-title' },
    h('h2', { id: 'saved-list-title', tabindex: '-1' }, t('saved.listTitle')), h('p', { class: 'loading' }, t('saved.loading')));

  function setMode(target) {
    editing = target ? { id: target.id, rev: target.rev, title: target.title } : null;
    replace(heading, t(editing ? 'saved.editTitle' : 'saved.newTitle'));
    cancel.hidden = !editing;
    for (const card of listSlot.querySelectorAll('.saved-item')) card.classList.toggle('editing', card.dataset.id === editing?.id);
  }

  function fill(values) {
    title.value = values.title || '';
    text.value = values.text || '';
    for (const box of boxes) box.checked = (values.queues || []).includes(box.value);
    lang.value = values.language || '';
  }

  function clearForm() {
    fill({});
    setMode(null);
    replace(formError);
    for (const el of [title, text]) el.removeAttribute('aria-invalid');
  }

  function edit(item) {
    clearForm();
    fill(item);
    setMode(item);
    title.focus();
  }

  cancel.addEventListener('click', () => {
    const id = editing?.id;
    clearForm();
    const back = id && document.getElementById(`saved-edit-${id}`);
    (back || title).focus();
  });

  form.addEventListener('submit', busy(submit, async () => {
    replace(formError);
    for (const el of [title, text]) el.removeAttribute('aria-invalid');
    const body = {
      title: title.value.trim(), text: text.value, queues: boxes.filter((b) => b.checked).map((b) => b.value),
      language: lang.value || null,
    };
    for (const [el, value, key] of [[title, body.title, 'saved.titleNeeded'], [text, body.text.trim(), 'saved.textNeeded']]) {
      if (!value) {
        el.setAttribute('aria-invalid', 'true');
        replace(formError, t(key));
        el.focus();
        return;
      }
    }
    const target = editing;
    try {
      if (target) await api(`saved-replies/${seg(target.id)}`, { method: 'PUT', body: { ...body, rev: target.rev } });
      else await api('saved-replies', { method: 'POST', body });
    } catch (error) {
      if (target && ['concurrent_change', 'unknown_saved_reply'].includes(error.code)) {
        // what she typed stays in the form; the list shows what is stored now
        await loadList();
        const now = items.find((s) => s.id === target.id);
        setMode(now || null);
        replace(formError, t(now ? 'saved.changedMeanwhile' : 'saved.goneMeanwhile', { title: target.title }));
      } else {
        replace(formError, errorText(error));
      }
      title.focus();
      return;
    }
    clearForm();
    notice(t(target ? 'saved.changed' : 'saved.added', { title: body.title }));
    await loadList();
    title.focus();
  }));

  function actions(item) {
    const cell = h('div', { class: 'toolbar saved-actions' });
    const start = () => {
      const editButton = h('button', {
        type: 'button', class: 'secondary', id: `saved-edit-${item.id}`, onclick: () => edit(item),
        'aria-label': t('saved.editNamed', { title: item.title }),
      }, t('saved.edit'));
      const deleteButton = h('button', {
        type: 'button', class: 'secondary', id: `saved-delete-${item.id}`, onclick: ask,
        'aria-label': t('saved.deleteNamed', { title: item.title }),
      }, t('saved.delete'));
      replace(cell, editButton, deleteButton);
    };
    const ask = () => {
      const confirm = h('button', {
        type: 'button', class: 'danger', id: `saved-confirm-${item.id}`,
        'aria-label': t('saved.confirmDeleteNamed', { title: item.title }),
      }, t('saved.confirmDelete'));
      const back = h('button', { type: 'button', class: 'secondary', id: `saved-keep-${item.id}` }, t('saved.cancel'));
      confirm.addEventListener('click', busy(confirm, async () => {
        try {
          await api(`saved-replies/${seg(item.id)}`, { method: 'DELETE' });
          if (editing?.id === item.id) clearForm();
          notice(t('saved.deleted', { title: item.title }));
        } catch (error) {
          showError(error);
        }
        await loadList();
        document.getElementById('saved-list-title')?.focus();
      }));
      back.addEventListener('click', () => {
        start();
        document.getElementById(`saved-delete-${item.id}`).focus();
      });
      replace(cell, confirm, back);
      confirm.focus();
    };
    start();
    return cell;
  }

  function card(item) {
    const changed = item.rev > 1 || item.updated_at !== item.created_at;
    return h('li', { class: ['saved-item', editing?.id === item.id && 'editing'], dataset: { id: item.id } },
      h('h3', { class: 'saved-name' }, item.title),
      h('p', { class: 'saved-meta' },
        h('span', {}, t('saved.queuesAre', { queues: queuesText(item.queues) })),
        h('span', {}, t('saved.languageIs', { language: languageText(item.language) }))),
      h('p', { class: 'text saved-text' }, item.text),
      h('p', { class: 'hint saved-by', title: changed ? item.updated_by : item.created_by },
        withNode(t(changed ? 'saved.updated' : 'saved.created', { who: actorName(changed ? item.updated_by : item.created_by) }),
          '{at}', timeTag(changed ? item.updated_at : item.created_at))),
      actions(item));
  }

  async function loadList() {
    try {
      items = (await api('saved-replies')).saved_replies || [];
    } catch (error) {
      showError(error);
      return;
    }
    replace(listSlot,
      h('div', { class: 'saved-head' },
        h('h2', { id: 'saved-list-title', tabindex: '-1' }, t('saved.listTitle')),
        h('p', { class: 'hint', id: 'saved-count' }, t('saved.count', { n: items.length, max: MAX }))),
      items.length >= MAX ? h('p', { class: 'warning' }, t('saved.full')) : null,
      items.length
        ? h('ul', { class: 'saved-list', id: 'saved-list' }, items.map(card))
        : h('p', { class: 'empty', id: 'saved-empty' }, t('saved.empty')));
  }

  replace(container, h('div', { class: 'saved' },
    h('h1', {}, t('saved.heading')),
    h('p', { class: 'intro' }, withNode(t('saved.intro'), '{token}', h('code', {}, TOKEN))),
    h('div', { class: 'saved-grid' }, form, listSlot)));
  clearForm();
  if (draft) {
    fill(draft);
    setMode(draft.editing);
    draft = null;
  }
  loadList();
  return {
    dispose() {
      // a redraw in place (a language switch) keeps what she was typing; leaving the view drops it
      draft = location.hash.startsWith('#/saved') ? {
        title: title.value, text: text.value, queues: boxes.filter((b) => b.checked).map((b) => b.value),
        language: lang.value, editing,
      } : null;
    },
  };
}
