// The WhatsApp templates view (managers, admins; GET and PUT /whatsapp-templates): the templates Meta approved, copied
// from WhatsApp Manager (name, language, body with {{1}}..{{n}}), as rows to add, change and remove, then saved all at
// once at the revision read. The rules are checked before asking the API (templates.js) and said beside the row;
// someone else's save meanwhile (409) is said, with the current list offered without losing what was typed. Agents
// have no such view (main.js): they send the templates from a WhatsApp conversation (views/template_reply.js).
import { actorName } from '../actors.js';
import { api } from '../api.js';
import { field, h, replace, withNode } from '../dom.js';
import { errorText, fmtNumber, t, timeTag } from '../i18n.js';
import {
  MAX_BODY, MAX_TEMPLATES, characters, filledRows, parameterCount, refusedTemplate, rowsOf, templatesBody,
  templatesProblem,
} from '../templates.js';
import { busy, notice, offerTheCurrentOne, offerToPutBack, showError } from '../ui.js';

// what the rows held when the view was redrawn (a language switch): survives that, not leaving the view
let draft = null;

const EXAMPLE = 'Hi {{1}}, your order {{2}} has shipped.';

export function mountTemplates(container) {
  let disposed = false;
  let stored = null; // the templates as the API last answered: {templates, rev, updated_by, updated_at}
  let rows = []; // what the form holds: [{name, language, body}]

  const error = h('p', { class: 'error', role: 'alert', id: 'templates-error' });
  const conflict = h('div', { class: 'warning texts-conflict', id: 'templates-conflict', role: 'alert', hidden: true });
  const savedBy = h('p', { class: 'hint', id: 'templates-saved-by' });
  const count = h('p', { class: 'hint', id: 'templates-count', 'aria-live': 'polite' });
  const list = h('ol', { class: 'template-rows', id: 'template-rows' });
  const empty = h('p', { class: 'empty', id: 'templates-empty', hidden: true }, t('templates.empty'));
  const add = h('button', { type: 'button', class: 'secondary', id: 'templates-add' }, t('templates.add'));
  const submit = h('button', { type: 'submit', class: 'primary', id: 'templates-save' }, t('templates.save'));
  const status = h('p', { class: 'loading', id: 'templates-loading' }, t('templates.loading'));
  const form = h('form', { novalidate: true, class: 'panel templates-form', id: 'templates-form', hidden: true,
    'aria-labelledby': 'templates-form-title' },
  h('div', { class: 'templates-head' },
    h('h2', { id: 'templates-form-title', tabindex: '-1' }, t('templates.listTitle')), count),
  savedBy, error, conflict, list, empty,
  h('div', { class: 'toolbar' }, add, submit));

  const inputId = (i, name) => `template-${name}-${i}`;

  function bodyCount(body) {
    const n = characters(body);
    const p = parameterCount(body);
    return [t(n > MAX_BODY ? 'templates.bodyCountOver' : 'templates.bodyCount',
      { n: fmtNumber(n), max: fmtNumber(MAX_BODY), over: fmtNumber(n - MAX_BODY) }),
    t('templates.parameterCount', { n: fmtNumber(p), count: p })].join(t('templates.separator'));
  }

  function rowView(row, i) {
    const number = fmtNumber(i + 1);
    const name = h('input', { type: 'text', id: inputId(i, 'name'), value: row.name, autocomplete: 'off',
      spellcheck: 'false', maxlength: 512 });
    const language = h('input', { type: 'text', id: inputId(i, 'language'), value: row.language, autocomplete: 'off',
      spellcheck: 'false', maxlength: 6, class: 'template-language' });
    const body = h('textarea', { id: inputId(i, 'body'), rows: 3, value: row.body });
    const counter = h('p', { class: 'hint template-count', id: `${body.id}-count`, 'aria-live': 'polite' },
      bodyCount(row.body));
    name.addEventListener('input', () => { rows[i].name = name.value; });
    language.addEventListener('input', () => { rows[i].language = language.value; });
    body.addEventListener('input', () => {
      rows[i].body = body.value;
      counter.classList.toggle('over', characters(body.value) > MAX_BODY);
      replace(counter, bodyCount(body.value));
    });
    counter.classList.toggle('over', characters(row.body) > MAX_BODY);
    const remove = h('button', { type: 'button', class: 'secondary', id: `template-remove-${i}`,
      'aria-label': t('templates.removeNamed', { n: number, name: row.name || t('templates.unnamed') }) },
    t('templates.remove'));
    remove.addEventListener('click', () => {
      rows.splice(i, 1);
      render();
      notice(t('templates.removed', { n: number }));
      (document.getElementById(`template-remove-${Math.min(i, rows.length - 1)}`) || add).focus();
    });
    const bodyField = field(t('templates.body'), body, withNode(t('templates.bodyHint'), '{example}',
      h('code', {}, EXAMPLE)));
    body.setAttribute('aria-describedby', `${body.id}-hint ${counter.id}`);
    bodyField.append(counter);
    return h('li', { class: 'template-row', dataset: { row: String(i) } },
      h('fieldset', {},
        h('legend', {}, t('templates.rowTitle', { n: number })),
        h('div', { class: 'template-ids' },
          field(t('templates.name'), name, t('templates.nameHint')),
          field(t('templates.language'), language, t('templates.languageHint'))),
        bodyField,
        h('div', { class: 'toolbar' }, remove)));
  }

  function render() {
    replace(list, rows.map(rowView));
    replace(count, t('templates.count', { n: fmtNumber(rows.length), max: fmtNumber(MAX_TEMPLATES) }));
    add.disabled = rows.length >= MAX_TEMPLATES;
    list.hidden = !rows.length;
    empty.hidden = rows.length > 0;
  }

  add.addEventListener('click', () => {
    rows.push({ name: '', language: '', body: '' });
    render();
    document.getElementById(inputId(rows.length - 1, 'name'))?.focus();
  });

  // who saved them last and when, from a GET or PUT answer
  function show(answer) {
    stored = answer;
    replace(savedBy, answer.updated_at
      ? h('span', { title: answer.updated_by || null },
        withNode(t('templates.savedBy', { who: actorName(answer.updated_by) }), '{at}', timeTag(answer.updated_at)))
      : t('templates.neverSaved'));
  }

  function clearErrors() {
    replace(error);
    for (const el of list.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  // a refusal in words, the focus on the field it is about (row i's name, language or body), or the list's title
  function refuse(text, i = null, name = 'name') {
    replace(error, text);
    const el = i === null ? null : document.getElementById(inputId(i, name));
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
    } else {
      document.getElementById('templates-form-title')?.focus();
    }
  }

  function problemText(problem) {
    const row = rows[problem.row] || {};
    return t(`templates.problem.${problem.problem}`, {
      n: fmtNumber(problem.row + 1), name: row.name || '', language: row.language || '', max: fmtNumber(problem.max ?? 0),
      over: fmtNumber(problem.over ?? 0), first: fmtNumber((problem.first ?? 0) + 1),
      missing: (problem.missing || []).map((n) => `{{${n}}}`).join(t('templates.listSeparator')),
    });
  }

  // someone saved meanwhile: said; what she typed stays until she loads theirs, and can be put back after that
  function conflicted() {
    const typed = rows.map((row) => ({ ...row }));
    notice('');
    offerTheCurrentOne(conflict, {
      id: 'templates-load-current', said: t('templates.changedMeanwhile'), label: t('templates.loadCurrent'),
      read: () => api('whatsapp-templates'),
      loaded: (current) => {
        show(current);
        rows = rowsOf(current);
        render();
        offerToPutBack(conflict, {
          id: 'templates-put-back', said: t('templates.loadedCurrent'), label: t('templates.putBack'),
          putBack: () => {
            rows = typed;
            render();
            document.getElementById('templates-form-title')?.focus();
          },
        });
      },
    });
  }

  form.addEventListener('submit', busy(submit, async () => {
    clearErrors();
    conflict.hidden = true;
    // a row added and left blank is no template: dropped, so that the numbers said match the rows shown
    const filled = filledRows(rows);
    if (filled.length !== rows.length || filled.some((row, i) => row.name !== rows[i].name
      || row.language !== rows[i].language)) {
      rows = filled;
      render();
    }
    const problem = templatesProblem(rows);
    if (problem) {
      refuse(problemText(problem), Math.min(problem.row, rows.length - 1), problem.field);
      return;
    }
    let answer;
    try {
      answer = await api('whatsapp-templates', { method: 'PUT', body: templatesBody(rows, stored.rev) });
    } catch (failure) {
      if (failure.code === 'concurrent_change') conflicted();
      else if (['invalid_templates', 'invalid_request'].includes(failure.code) && failure.message) {
        // the API names the template it refused ("template 'x' (en): ..."): the focus goes to its row
        const named = refusedTemplate(failure.message);
        const at = named ? rows.findIndex((row) => row.name === named.name && row.language === named.language) : -1;
        refuse(t('templates.error.invalid', { message: failure.message }), at >= 0 ? at : null);
      } else refuse(errorText(failure));
      return;
    }
    show(answer);
    rows = rowsOf(answer);
    render();
    notice(t('templates.saved', { n: fmtNumber(rows.length), count: rows.length }));
  }));

  replace(container, h('div', { class: 'templates' },
    h('h1', {}, t('templates.heading')),
    h('p', { class: 'intro' }, t('templates.intro')),
    h('p', { class: 'warning templates-exact', id: 'templates-exact' }, t('templates.exactHint')),
    status, form));

  (async () => {
    let answer;
    try {
      answer = await api('whatsapp-templates');
    } catch (failure) {
      if (disposed) return;
      if (failure.status === 404) replace(status, t('templates.unavailable'));
      else {
        status.hidden = true;
        showError(failure);
      }
      return;
    }
    if (disposed) return;
    status.hidden = true;
    form.hidden = false;
    show(answer);
    rows = draft || rowsOf(answer);
    draft = null;
    render();
  })();

  return {
    dispose() {
      disposed = true;
      // a redraw in place (a language switch) keeps what she was typing; leaving the view drops it
      draft = location.hash.startsWith('#/templates') && stored ? rows : null;
    },
  };
}
