// The routing rules view (managers, admins; GET and PUT /routing-rules): the rules in the order they apply, each with
// its name, on or off, its conditions and actions (a reply among them) in words, and Move up, Move down, Edit and
// Delete (in two steps); a form adds one or changes one. Every change saves the whole list at the revision read:
// someone else's save meanwhile (409) is said, and the current ones can be loaded without losing what was typed in the
// form. Agents have no such view (main.js).
import { api } from '../api.js';
import { field, h, replace, select, withNode } from '../dom.js';
import { errorText, fmtNumber, platformName, queueName, sentences, t, timeTag } from '../i18n.js';
import { CHANNELS, LANGUAGES, MAX_BOOST, MAX_NAME, MAX_RULES, PLATFORMS, QUEUES, TOKEN, actionsText, actorName,
  conditionsText, formOf, moved, replyCount, replyRefusalPlatform, ruleFromForm, rulesBody, withRule,
  withoutRule } from '../rules.js';
import { busy, notice, offerTheCurrentOne, showError } from '../ui.js';

// what the form held when the view was redrawn (a language switch): survives that, not leaving the view
let draft = null;


// a refusal of PUT /routing-rules in words: a bad rule is named by the API's own message (which rule and why)
function rulesErrorText(error) {
  if (error.code === 'rule_reply_too_long') {
    const platform = replyRefusalPlatform(error.message);
    return platform ? t('rules.error.replyTooLongFor', { platform: platformName(platform) })
      : t('rules.error.replyTooLong');
  }
  if (error.code === 'invalid_request' && error.message) return t('rules.error.invalid', { message: error.message });
  return errorText(error);
}

export function mountRules(container) {
  let disposed = false;
  let stored = null; // the rules as the API last answered: {rules, rev, updated_by, updated_at}
  let editing = null; // {id, name} while the form changes a rule; null: it adds one

  // the form ----------------------------------------------------------------------------------------
  const heading = h('h2', { id: 'rule-form-title', tabindex: '-1' });
  const name = h('input', { type: 'text', id: 'rule-name', maxlength: MAX_NAME, autocomplete: 'off', required: true });
  const enabled = h('input', { type: 'checkbox', id: 'rule-enabled' });
  const words = h('textarea', { id: 'rule-words', rows: 4 });
  const ticks = (kind, values, label) => values.map((value) =>
    h('input', { type: 'checkbox', id: `rule-${kind}-${value}`, value, dataset: { label: label(value) } }));
  const platformBoxes = ticks('platform', PLATFORMS, (p) => t(`rules.platform.${p}`));
  const channelBoxes = ticks('channel', CHANNELS, (c) => t(`rules.channel.${c}`));
  const languageBoxes = ticks('language', LANGUAGES, (l) => t(`rules.languageBox.${l}`));
  const fieldset = (id, legend, boxes) => h('fieldset',
    { class: 'rule-ticks', id, 'aria-describedby': 'rule-any-hint' },
    h('legend', {}, legend),
    boxes.map((box) => h('label', { class: 'check', for: box.id }, box, ' ', box.dataset.label)));
  const queue = select([['', t('rules.keepModel')], ...QUEUES.map((q) => [q, queueName(q)])], '', { id: 'rule-queue' });
  const tags = h('input', { type: 'text', id: 'rule-tags', autocomplete: 'off' });
  const boost = h('input', { type: 'number', id: 'rule-boost', min: 0, max: MAX_BOOST, step: 1, inputmode: 'numeric' });
  const reply = h('textarea', { id: 'rule-reply', rows: 3 });
  // the reply's own refusals (too long, here or for a platform) are said beside it, not at the top of the form
  const replyError = h('p', { class: 'error', role: 'alert', id: 'rule-reply-error' });
  const replyCounter = h('p', { class: 'hint away-count', id: 'rule-reply-count', 'aria-live': 'polite' });
  const replyField = field(t('rules.reply'), reply,
    withNode(t('rules.replyHint'), '{token}', h('code', {}, TOKEN)));
  reply.setAttribute('aria-describedby', `${reply.id}-hint ${replyCounter.id} ${replyError.id}`);
  replyField.append(replyCounter, replyError);
  const submit = h('button', { type: 'submit', class: 'primary', id: 'rule-submit' });
  const cancel = h('button', { type: 'button', class: 'secondary', id: 'rule-cancel', hidden: true },
    t('rules.cancel'));
  const formError = h('p', { class: 'error', role: 'alert', id: 'rule-error' });
  const form = h('form', { novalidate: true, class: 'panel rule-form', id: 'rule-form',
    'aria-labelledby': 'rule-form-title', hidden: true },
  heading, formError,
  field(t('rules.name'), name, t('rules.nameHint')),
  h('div', { class: 'field' }, h('label', { class: 'check', for: enabled.id }, enabled, ' ', t('rules.enabled'))),
  h('fieldset', { class: 'rule-part', 'aria-describedby': 'rule-condition-hint' },
    h('legend', {}, t('rules.conditions')),
    h('p', { class: 'hint', id: 'rule-condition-hint' }, t('rules.conditionHint')),
    field(t('rules.words'), words, t('rules.wordsHint')),
    fieldset('rule-platforms', t('rules.platforms'), platformBoxes),
    fieldset('rule-channels', t('rules.channels'), channelBoxes),
    fieldset('rule-languages', t('rules.languages'), languageBoxes),
    h('p', { class: 'hint', id: 'rule-any-hint' }, t('rules.anyHint'))),
  h('fieldset', { class: 'rule-part', 'aria-describedby': 'rule-action-hint' },
    h('legend', {}, t('rules.actions')),
    h('p', { class: 'hint', id: 'rule-action-hint' }, t('rules.actionHint')),
    field(t('rules.queue'), queue),
    field(t('rules.tags'), tags, t('rules.tagsHint')),
    field(t('rules.boost'), boost, t('rules.boostHint')),
    replyField),
  h('div', { class: 'toolbar' }, submit, cancel));
  const fields = { name, words, tags, boost, queue, reply };

  // the list ----------------------------------------------------------------------------------------
  const conflict = h('div', { class: 'warning rules-conflict', id: 'rules-conflict', role: 'alert', hidden: true });
  const savedBy = h('p', { class: 'hint', id: 'rules-saved-by' });
  const listSlot = h('section', { class: 'panel rules-list-panel', 'aria-labelledby': 'rules-list-title' },
    h('h2', { id: 'rules-list-title', tabindex: '-1' }, t('rules.listTitle')),
    h('p', { class: 'loading', id: 'rules-loading' }, t('rules.loading')));

  const checked = (boxes) => boxes.filter((box) => box.checked).map((box) => box.value);
  function values() {
    return {
      ...(editing?.id ? { id: editing.id } : {}), name: name.value, enabled: enabled.checked, words: words.value,
      platforms: checked(platformBoxes), channels: checked(channelBoxes), languages: checked(languageBoxes),
      queue: queue.value, tags: tags.value, boost: boost.value, reply: reply.value,
    };
  }

  function fill(v) {
    name.value = v.name || '';
    enabled.checked = v.enabled !== false;
    words.value = v.words || '';
    const ticked = [[platformBoxes, v.platforms], [channelBoxes, v.channels], [languageBoxes, v.languages]];
    for (const [boxes, chosen] of ticked) {
      for (const box of boxes) box.checked = (chosen || []).includes(box.value);
    }
    queue.value = v.queue || '';
    tags.value = v.tags || '';
    boost.value = v.boost || '';
    reply.value = v.reply || '';
    count();
  }

  // characters out of 500, and what an Instagram DM takes once the name is filled in (the tightest platform)
  function count() {
    const c = replyCount(reply.value);
    replyCounter.classList.toggle('over', c.over > 0 || c.tooManyBytes);
    replace(replyCounter, sentences(
      t(c.over ? 'rules.replyCountOver' : 'rules.replyCount',
        { n: fmtNumber(c.n), max: fmtNumber(c.max), over: fmtNumber(c.over) }),
      c.tooManyBytes ? t('rules.replyBytesOver', { n: fmtNumber(c.bytes), max: fmtNumber(c.maxBytes) }) : ''));
  }
  reply.addEventListener('input', count);

  function setMode(target) {
    editing = target ? { id: target.id, name: target.name } : null;
    replace(heading, editing ? t('rules.editTitle', { name: editing.name }) : t('rules.newTitle'));
    replace(submit, t(editing ? 'rules.saveRule' : 'rules.addRule'));
    cancel.hidden = !editing;
    for (const item of listSlot.querySelectorAll('.rule-item')) {
      item.classList.toggle('editing', item.dataset.id === editing?.id);
    }
  }

  function clearErrors() {
    replace(formError);
    replace(replyError);
    for (const el of Object.values(fields)) el.removeAttribute('aria-invalid');
  }

  function clearForm() {
    fill({ enabled: true });
    setMode(null);
    clearErrors();
  }

  function refuse(text, el) {
    replace(el === reply ? replyError : formError, text);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
    } else {
      heading.focus();
    }
  }

  function edit(rule) {
    clearForm();
    fill(formOf(rule));
    setMode(rule);
    name.focus();
  }

  cancel.addEventListener('click', () => {
    const id = editing?.id;
    clearForm();
    (document.getElementById(`rule-edit-${id}`) || name).focus();
  });

  // someone saved meanwhile: said; what she typed stays in the form, and the current list can be loaded under it
  function conflicted() {
    notice('');
    offerTheCurrentOne(conflict, {
      id: 'rules-load-current', said: t('rules.changedMeanwhile'), label: t('rules.loadCurrent'),
      read: () => api('routing-rules'),
      loaded: (current) => {
        show(current);
        const gone = editing && !current.rules.some((rule) => rule.id === editing.id);
        replace(conflict, h('p', {}, t('rules.loadedCurrent')),
          gone ? h('p', {}, t('rules.goneMeanwhile', { name: editing.name })) : null);
        if (gone) setMode(null);
        document.getElementById('rules-list-title')?.focus();
      },
    });
  }

  // the whole list, at the revision read: the answer, or null when refused (said: in the form, or as an alert)
  async function save(rules, { inForm = false } = {}) {
    conflict.hidden = true;
    let answer;
    try {
      answer = await api('routing-rules', { method: 'PUT', body: rulesBody(rules, stored.rev) });
    } catch (error) {
      if (error.code === 'concurrent_change') conflicted();
      else if (inForm) refuse(rulesErrorText(error), error.code === 'rule_reply_too_long' ? reply : null);
      else showError(rulesErrorText(error));
      return null;
    }
    show(answer);
    return answer;
  }

  form.addEventListener('submit', busy(submit, async () => {
    clearErrors();
    const { rule, problem } = ruleFromForm(values(), stored.rules);
    if (problem) {
      refuse(t(`rules.problem.${problem.problem}`, { max: fmtNumber(problem.max ?? 0), n: fmtNumber(problem.n ?? 0),
        word: problem.word ?? '', tag: problem.tag ?? '', over: fmtNumber(problem.over ?? 0) }),
      fields[problem.field]);
      return;
    }
    const known = rule.id && stored.rules.some((one) => one.id === rule.id);
    if (!known) delete rule.id; // a new rule (or one deleted meanwhile): the API gives it an id
    if (!known && stored.rules.length >= MAX_RULES) {
      refuse(t('rules.problem.full', { max: fmtNumber(MAX_RULES) }));
      return;
    }
    const answer = await save(withRule(stored.rules, rule), { inForm: true });
    if (!answer) return;
    clearForm();
    notice(t(known ? 'rules.changed' : 'rules.added', { name: rule.name }));
    name.focus();
  }));

  function actions(rule, index, count) {
    const cell = h('div', { class: 'toolbar rule-actions' });
    const move = (by) => busy(by < 0 ? up : down, async () => {
      const answer = await save(moved(stored.rules, index, by));
      if (!answer) return;
      const at = answer.rules.findIndex((one) => one.id === rule.id);
      notice(t(by < 0 ? 'rules.movedUp' : 'rules.movedDown', { name: rule.name, n: fmtNumber(at + 1) }));
      const again = document.getElementById(`rule-${by < 0 ? 'up' : 'down'}-${rule.id}`);
      const other = document.getElementById(`rule-${by < 0 ? 'down' : 'up'}-${rule.id}`);
      (again && !again.disabled ? again : other)?.focus();
    });
    const up = h('button', { type: 'button', class: 'secondary', id: `rule-up-${rule.id}`, disabled: index === 0,
      'aria-label': t('rules.upNamed', { name: rule.name }) }, t('rules.up'));
    const down = h('button', { type: 'button', class: 'secondary', id: `rule-down-${rule.id}`,
      disabled: index === count - 1, 'aria-label': t('rules.downNamed', { name: rule.name }) }, t('rules.down'));
    up.addEventListener('click', move(-1));
    down.addEventListener('click', move(1));
    const start = () => {
      const editButton = h('button', { type: 'button', class: 'secondary', id: `rule-edit-${rule.id}`,
        onclick: () => edit(rule), 'aria-label': t('rules.editNamed', { name: rule.name }) }, t('rules.edit'));
      const deleteButton = h('button', { type: 'button', class: 'secondary', id: `rule-delete-${rule.id}`,
        onclick: ask, 'aria-label': t('rules.deleteNamed', { name: rule.name }) }, t('rules.delete'));
      replace(cell, up, down, editButton, deleteButton);
    };
    const ask = () => {
      const confirm = h('button', { type: 'button', class: 'danger', id: `rule-confirm-${rule.id}`,
        'aria-label': t('rules.confirmDeleteNamed', { name: rule.name }) }, t('rules.confirmDelete'));
      const back = h('button', { type: 'button', class: 'secondary', id: `rule-keep-${rule.id}` }, t('rules.keep'));
      confirm.addEventListener('click', busy(confirm, async () => {
        const answer = await save(withoutRule(stored.rules, rule.id));
        if (!answer) return;
        if (editing?.id === rule.id) clearForm();
        notice(t('rules.deleted', { name: rule.name }));
        document.getElementById('rules-list-title')?.focus();
      }));
      back.addEventListener('click', () => {
        start();
        document.getElementById(`rule-delete-${rule.id}`).focus();
      });
      replace(cell, confirm, back);
      confirm.focus();
    };
    start();
    return cell;
  }

  function card(rule, index, count) {
    return h('li', { class: ['rule-item', !rule.enabled && 'disabled', editing?.id === rule.id && 'editing'],
      dataset: { id: rule.id } },
    h('div', { class: 'rule-head' },
      h('h3', { class: 'rule-name' }, h('span', { class: 'rule-number' }, `${fmtNumber(index + 1)}. `), rule.name),
      h('span', { class: ['badge', rule.enabled ? 'badge-on' : 'badge-off'] },
        t(rule.enabled ? 'rules.on' : 'rules.off'))),
    h('dl', { class: 'rule-says' },
      h('dt', {}, t('rules.if')), h('dd', { class: 'rule-conditions' }, conditionsText(rule, t)),
      h('dt', {}, t('rules.then')), h('dd', { class: 'rule-actions-text' }, actionsText(rule, t))),
    actions(rule, index, count));
  }

  // the list and who saved it last, from GET or PUT /routing-rules' answer
  function show(answer) {
    stored = { ...answer, rules: Array.isArray(answer.rules) ? answer.rules : [] };
    const { rules } = stored;
    replace(savedBy, stored.updated_at
      ? h('span', { title: stored.updated_by || null },
        withNode(t('rules.savedBy', { who: actorName(stored.updated_by) }), '{at}', timeTag(stored.updated_at)))
      : t('rules.neverSaved'));
    replace(listSlot,
      h('div', { class: 'rules-head' },
        h('h2', { id: 'rules-list-title', tabindex: '-1' }, t('rules.listTitle')),
        h('p', { class: 'hint', id: 'rules-count' },
          t('rules.count', { n: fmtNumber(rules.length), max: fmtNumber(MAX_RULES) }))),
      savedBy,
      rules.length >= MAX_RULES ? h('p', { class: 'warning' }, t('rules.full')) : null,
      rules.length
        ? h('ol', { class: 'rules-list', id: 'rules-list' }, rules.map((rule, i) => card(rule, i, rules.length)))
        : h('p', { class: 'empty', id: 'rules-empty' }, t('rules.empty')));
  }

  replace(container, h('div', { class: 'rules' },
    h('h1', {}, t('rules.heading')),
    h('p', { class: 'intro' }, t('rules.intro')),
    conflict,
    h('div', { class: 'rules-grid' }, listSlot, form)));
  clearForm();

  (async () => {
    let answer;
    try {
      answer = await api('routing-rules');
    } catch (error) {
      if (disposed) return;
      if (error.status === 404) replace(listSlot, h('p', { id: 'rules-unavailable' }, t('rules.unavailable')));
      else {
        replace(listSlot, h('p', { class: 'error', id: 'rules-failed' }, errorText(error)));
        showError(error);
      }
      return;
    }
    if (disposed) return;
    show(answer);
    form.hidden = false;
    if (draft) {
      const known = draft.editing && stored.rules.find((rule) => rule.id === draft.editing.id);
      fill(draft.form);
      setMode(known ? draft.editing : null);
      draft = null;
    }
  })();

  return {
    dispose() {
      disposed = true;
      // a redraw in place (a language switch) keeps what she was typing; leaving the view drops it
      draft = location.hash.startsWith('#/rules') && stored ? { form: values(), editing } : null;
    },
  };
}
