// The form the away message and the satisfaction survey share (views/away.js, views/survey.js): the tick that turns it
// on, the default text and its Japanese and English ones, each with its count of characters and of an Instagram DM's
// bytes, the refusals said in words with the focus on the text they are about, who saved it last, and someone else's
// save meanwhile (409) offered without losing what was typed.
// `prefix` names both the elements (#away-text, #survey-text-count) and the view's own words (away.textHint,
// survey.changedMeanwhile); the words both say alike are texts.*. With `followUp` (the survey's question after a low
// rating) a second default text and its translations come in a section of their own (#survey-follow-up,
// #survey-follow-up-ja), counted and refused as the first.
import { actorName } from '../actors.js';
import {
  FOLLOW_UP_FIELDS, INSTAGRAM_DM_BYTES, MAX_CHARACTERS, OWN_FIELDS, TOKEN, TRANSLATIONS, characters, instagramBytes,
  tooLongRefusal,
} from '../automatic_texts.js';
import { field, h, replace, withNode } from '../dom.js';
import { fmtNumber, platformName, sentences, t, timeTag } from '../i18n.js';
import { offerTheCurrentOne, offerToPutBack } from '../ui.js';

export function textsForm(prefix, { followUp = false } = {}) {
  const enabled = h('input', { type: 'checkbox', id: `${prefix}-enabled` });
  const textBox = (id, rows = 5) => h('textarea', { id, rows });
  const boxes = {
    text: textBox(`${prefix}-text`),
    ...Object.fromEntries(TRANSLATIONS.map((lang) => [lang, textBox(`${prefix}-${lang}`)])),
    ...(followUp ? {
      [FOLLOW_UP_FIELDS.text]: textBox(`${prefix}-follow-up`, 3),
      ...Object.fromEntries(TRANSLATIONS.map((lang) =>
        [FOLLOW_UP_FIELDS[lang], textBox(`${prefix}-follow-up-${lang}`, 3)])),
    } : {}),
  };
  const counters = Object.fromEntries(Object.entries(boxes).map(([name, box]) =>
    [name, h('p', { class: 'hint texts-count', id: `${box.id}-count`, 'aria-live': 'polite' })]));
  const error = h('p', { class: 'error', role: 'alert', id: `${prefix}-error` });
  const conflict = h('div', { class: 'warning texts-conflict', id: `${prefix}-conflict`, role: 'alert', hidden: true });
  const savedBy = h('p', { class: 'hint', id: `${prefix}-saved-by` });

  const tokenHint = (key, params = {}) => withNode(t(key, params), '{token}', h('code', {}, TOKEN));
  const textField = (name, label, hint) => {
    const wrapped = field(label, boxes[name], hint);
    boxes[name].setAttribute('aria-describedby', `${boxes[name].id}-hint ${counters[name].id}`);
    wrapped.append(counters[name]);
    return wrapped;
  };
  const translationHint = (lang) => tokenHint(`${prefix}.translationHint`, { language: t(`filter.language.${lang}`) });
  const tick = h('div', { class: 'field' }, h('label', { class: 'check', for: enabled.id }, enabled, ' ',
    t(`${prefix}.enabled`)));
  const texts = [
    textField('text', t(`${prefix}.text`), tokenHint(`${prefix}.textHint`)),
    ...TRANSLATIONS.map((lang) => textField(lang, t(`${prefix}.${lang}`), translationHint(lang))),
    h('p', { class: 'hint', id: `${prefix}-bytes-hint` }, t('texts.bytesHint')),
  ];
  // the follow-up's texts, apart from the message's own: what they are for, and that empty asks nothing
  const followUpSection = followUp ? h('fieldset', { class: 'texts-follow-up', id: `${prefix}-follow-up-section`,
    'aria-describedby': `${prefix}-follow-up-intro` },
  h('legend', {}, t(`${prefix}.followUpTitle`)),
  h('p', { class: 'hint', id: `${prefix}-follow-up-intro` }, t(`${prefix}.followUpIntro`)),
  textField(FOLLOW_UP_FIELDS.text, t(`${prefix}.followUp`), tokenHint(`${prefix}.followUpHint`)),
  ...TRANSLATIONS.map((lang) => textField(FOLLOW_UP_FIELDS[lang], t(`${prefix}.followUp.${lang}`),
    translationHint(lang)))) : null;

  // a default text and its translations from the boxes that hold them
  const textsIn = (names) => ({ text: boxes[names.text].value,
    translations: Object.fromEntries(TRANSLATIONS.map((lang) => [lang, boxes[names[lang]].value])) });
  const putTexts = (names, texts) => {
    boxes[names.text].value = texts?.text || '';
    for (const lang of TRANSLATIONS) boxes[names[lang]].value = texts?.translations?.[lang] || '';
  };

  function values() {
    return { enabled: enabled.checked, ...textsIn(OWN_FIELDS),
      ...(followUp ? { followUp: textsIn(FOLLOW_UP_FIELDS) } : {}) };
  }

  function fill(form) {
    enabled.checked = form.enabled;
    putTexts(OWN_FIELDS, form);
    if (followUp) putTexts(FOLLOW_UP_FIELDS, form.followUp);
    count();
  }

  // characters out of 1,000, and the bytes an Instagram DM takes once the name is filled in (the tightest platform)
  function count() {
    for (const [name, box] of Object.entries(boxes)) {
      const n = characters(box.value);
      const bytes = instagramBytes(box.value);
      counters[name].classList.toggle('over', n > MAX_CHARACTERS || bytes > INSTAGRAM_DM_BYTES);
      replace(counters[name], sentences(
        t(n > MAX_CHARACTERS ? 'texts.countOver' : 'texts.count',
          { n: fmtNumber(n), max: fmtNumber(MAX_CHARACTERS), over: fmtNumber(n - MAX_CHARACTERS) }),
        n && bytes > INSTAGRAM_DM_BYTES
          ? t('texts.bytesOver', { n: fmtNumber(bytes), max: fmtNumber(INSTAGRAM_DM_BYTES) }) : ''));
    }
  }
  for (const box of Object.values(boxes)) box.addEventListener('input', count);

  // who saved it last and when, from a GET or PUT answer
  function showSavedBy(answer) {
    replace(savedBy, answer.updated_at
      ? h('span', { title: answer.updated_by || null },
        withNode(t('texts.savedBy', { who: actorName(answer.updated_by) }), '{at}', timeTag(answer.updated_at)))
      : t(`${prefix}.neverSaved`));
  }

  function clearErrors() {
    replace(error);
    conflict.hidden = true;
    for (const el of [enabled, ...Object.values(boxes)]) el.removeAttribute('aria-invalid');
  }

  // a refusal in words, and the focus on what it is about (`name`: 'enabled', 'text', 'ja', 'en', or one of
  // FOLLOW_UP_FIELDS)
  function refuse(text, name) {
    replace(error, text);
    const el = name === 'enabled' ? enabled : boxes[name];
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
    }
  }

  // a problem found before asking the API ({problem: 'tooLong' | 'textNeeded', field, over}), in words
  function refuseProblem(problem, key = problem.problem) {
    const shared = problem.problem === 'tooLong';
    refuse(t(shared ? 'texts.problem.tooLong' : `${prefix}.problem.${key}`, { field: t(`texts.field.${problem.field}`),
      max: fmtNumber(MAX_CHARACTERS), over: fmtNumber(problem.over ?? 0) }), problem.field);
  }

  // the API's <prefix>_text_too_long refusal in words, naming the text and the platform where it says them, the focus
  // on that text; false for any other refusal
  function refuseTooLong(apiError) {
    if (apiError.code !== `${prefix}_text_too_long`) return false;
    const { field: which, platform } = tooLongRefusal(apiError.message);
    refuse(t(platform ? `${prefix}.error.tooLongFor` : `${prefix}.error.tooLong`,
      { field: t(`texts.field.${which || 'any'}`), platform: platform ? platformName(platform) : '' }), which || 'text');
    return true;
  }

  // someone saved meanwhile: said; what she typed stays until she loads theirs (`read`, then `loaded(current)` shows
  // it), and can be put back after that (`putBack`, after the form is filled with it)
  function conflicted({ read, loaded, putBack = () => {} }) {
    const typed = values();
    offerTheCurrentOne(conflict, {
      id: `${prefix}-load-current`, said: t(`${prefix}.changedMeanwhile`), label: t('texts.loadCurrent'),
      read,
      loaded: (current) => {
        loaded(current);
        offerToPutBack(conflict, {
          id: `${prefix}-put-back`, said: t(`${prefix}.loadedCurrent`), label: t('texts.putBack'),
          putBack: () => {
            fill(typed);
            putBack();
            boxes.text.focus();
          },
        });
      },
    });
  }

  return {
    enabled, boxes, tick, texts, followUpSection, error, conflict, savedBy,
    values, fill, showSavedBy, clearErrors, refuse, refuseProblem, refuseTooLong, conflicted,
    submit: h('button', { type: 'submit', class: 'primary', id: `${prefix}-save` }, t('texts.save')),
  };
}
