// Routing rules (GET and PUT /routing-rules, managers and admins; Sprout Social's inbox rules, Zendesk's triggers):
// applied to every new customer message as it arrives, in order. "If the text has any of these words (and, when set,
// on these platforms, channels, languages), route it to this queue, add these tags, raise its priority". The first
// matching rule with a queue decides the queue. A rule may also answer: the first matching rule with a reply sends it
// to a customer's new direct message, once per conversation. The whole list is saved at once, at the revision read.
// Kept free of the page (no DOM, no i18n: a translator is passed in) so that node can run it in
// tests/test_console_rules.py.
import { INSTAGRAM_DM_BYTES, TOKEN, characters, instagramBytes } from './away.js';
import { parseTags } from './tags.js';

export const MAX_RULES = 50;
export const MAX_NAME = 80;
export const MAX_WORDS = 20;
export const MAX_WORD_CHARS = 50; // the API's limit: 50 rules of 20 such words stay one DynamoDB item
export const MAX_RULE_TAGS = 5;
export const MAX_BOOST = 50;
export const MAX_REPLY = 500; // characters, as the API counts them; it must also fit every platform's DMs
export { TOKEN };
export const PLATFORMS = ['facebook', 'instagram', 'messenger', 'whatsapp', 'x', 'telegram', 'generic'];
export const CHANNELS = ['comment', 'reply', 'mention', 'direct_message', 'post'];
export const LANGUAGES = ['en', 'ja', 'other'];
export const QUEUES = ['customer_service', 'stance', 'community'];

const listOf = (value, allowed) => (Array.isArray(value) ? allowed.filter((one) => value.includes(one)) : []);

// the words box -> the words: one a line, or separated by commas (ASCII, Japanese or full-width); each trimmed, blank
// ones dropped, each once (ignoring case and full/half width, as the API matches them). A phrase keeps its spaces.
export function parseWords(text) {
  const seen = new Set();
  const words = [];
  for (const raw of String(text ?? '').split(/[\n\r,、，]+/u)) {
    const word = raw.trim();
    const key = word.normalize('NFKC').toLowerCase();
    if (!word || seen.has(key)) continue;
    seen.add(key);
    words.push(word);
  }
  return words;
}

// the words -> the words box, one a line
export function wordsText(words) {
  return (Array.isArray(words) ? words : []).join('\n');
}

// a rule as the API answered it (or as the form holds it) -> the same shape, every field there and of its type
export function normalRule(rule) {
  const boost = Number(rule?.priority_boost);
  return {
    ...(typeof rule?.id === 'string' && rule.id ? { id: rule.id } : {}),
    name: typeof rule?.name === 'string' ? rule.name : '',
    enabled: rule?.enabled !== false,
    words: Array.isArray(rule?.words) ? rule.words.filter((w) => typeof w === 'string') : [],
    platforms: listOf(rule?.platforms, PLATFORMS),
    channels: listOf(rule?.channels, CHANNELS),
    languages: listOf(rule?.languages, LANGUAGES),
    queue: QUEUES.includes(rule?.queue) ? rule.queue : null,
    tags: Array.isArray(rule?.tags) ? rule.tags.filter((tag) => typeof tag === 'string') : [],
    priority_boost: Number.isInteger(boost) ? boost : 0,
    reply: typeof rule?.reply === 'string' && rule.reply.trim() ? rule.reply : null,
  };
}

// what the form holds -> a rule, and why it may not be saved as it is ({problem, field, ...} or null), before
// asking the API. form: {id?, name, enabled, words (the box's text), platforms, channels, languages, queue ('' keeps
// the model's choice), tags (the box's text), boost (the box's text), reply (the box's text; blank: none)};
// `others`: the list's other rules (a name is one rule's only)
export function ruleFromForm(form, others = []) {
  const words = parseWords(form.words);
  const { tags, invalid } = parseTags(String(form.tags ?? ''));
  const boostText = String(form.boost ?? '').trim();
  const boost = boostText === '' ? 0 : Number(boostText);
  const rule = normalRule({
    id: form.id, name: String(form.name ?? '').trim(), enabled: form.enabled === true, words,
    platforms: form.platforms, channels: form.channels, languages: form.languages, queue: form.queue || null, tags,
    priority_boost: Number.isInteger(boost) ? boost : 0, reply: String(form.reply ?? '').trim(),
  });
  const problem = (() => {
    if (!rule.name) return { problem: 'nameNeeded', field: 'name' };
    if (characters(rule.name) > MAX_NAME) return { problem: 'nameTooLong', field: 'name', max: MAX_NAME };
    const taken = others.some((one) => one.id !== rule.id && one.name === rule.name);
    if (taken) return { problem: 'nameTaken', field: 'name' };
    if (words.length > MAX_WORDS) return { problem: 'tooManyWords', field: 'words', max: MAX_WORDS, n: words.length };
    const long = words.find((word) => characters(word) > MAX_WORD_CHARS);
    if (long) return { problem: 'wordTooLong', field: 'words', max: MAX_WORD_CHARS, word: long };
    if (invalid.length) return { problem: 'badTag', field: 'tags', tag: invalid[0] };
    if (tags.length > MAX_RULE_TAGS) return { problem: 'tooManyTags', field: 'tags', max: MAX_RULE_TAGS };
    if (!Number.isInteger(boost) || boost < 0 || boost > MAX_BOOST) {
      return { problem: 'boostRange', field: 'boost', max: MAX_BOOST };
    }
    if (!(words.length || rule.platforms.length || rule.channels.length || rule.languages.length)) {
      return { problem: 'conditionNeeded', field: 'words' };
    }
    if (rule.reply && characters(rule.reply) > MAX_REPLY) {
      return { problem: 'replyTooLong', field: 'reply', max: MAX_REPLY, over: characters(rule.reply) - MAX_REPLY };
    }
    if (!(rule.queue || tags.length || boost > 0 || rule.reply)) return { problem: 'actionNeeded', field: 'queue' };
    return null;
  })();
  return { rule, problem };
}

// a rule -> the form's values
export function formOf(rule) {
  const r = normalRule(rule);
  return {
    ...(r.id ? { id: r.id } : {}), name: r.name, enabled: r.enabled, words: wordsText(r.words),
    platforms: r.platforms, channels: r.channels, languages: r.languages, queue: r.queue || '',
    tags: r.tags.join(' '), boost: r.priority_boost ? String(r.priority_boost) : '', reply: r.reply ?? '',
  };
}

// the reply box's counter: its characters out of MAX_REPLY, and the bytes it takes in an Instagram DM (the tightest
// platform) once the longest name is filled in, counted by the away message's helpers as the API counts both
export function replyCount(text) {
  const n = characters(text);
  const bytes = instagramBytes(text);
  return { n, max: MAX_REPLY, over: Math.max(0, n - MAX_REPLY), bytes, maxBytes: INSTAGRAM_DM_BYTES,
    tooManyBytes: n > 0 && bytes > INSTAGRAM_DM_BYTES };
}

// the platform a rule_reply_too_long refusal names ("the text is too long for a direct message on instagram ..."), or
// null when it names none
export function replyRefusalPlatform(message) {
  const platform = String(message ?? '').toLowerCase().match(/\bdirect messages? on (\w+)\b/)?.[1];
  return PLATFORMS.includes(platform) ? platform : null;
}

// a reply's first words for the rule's summary: whitespace folded, cut at a word (or, in Japanese, a character)
// with an ellipsis when longer than `max` characters
export function replyStart(reply, max = 40) {
  const text = String(reply ?? '').replace(/\s+/gu, ' ').trim();
  const letters = [...text];
  if (letters.length <= max) return text;
  const cut = letters.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

// PUT /routing-rules' body: the whole list in order, at the revision read (a rule without an id is a new one)
export function rulesBody(rules, rev) {
  return { rules: (rules || []).map(normalRule), rev: Number.isInteger(rev) ? rev : 0 };
}

// the list with the rule at `index` moved by `by` (-1 up, +1 down); the same list when it cannot move
export function moved(rules, index, by) {
  const to = index + by;
  if (index < 0 || index >= rules.length || to < 0 || to >= rules.length) return rules;
  const copy = [...rules];
  [copy[index], copy[to]] = [copy[to], copy[index]];
  return copy;
}

// the list with `rule` put in place of the one with its id, or added at the end (a new one)
export function withRule(rules, rule) {
  const at = rule.id ? rules.findIndex((one) => one.id === rule.id) : -1;
  if (at < 0) return [...rules, rule];
  return rules.map((one, i) => (i === at ? rule : one));
}

export function withoutRule(rules, id) {
  return rules.filter((one) => one.id !== id);
}

// the conditions in words, through the translator `t(key, params)`:
// "Text has any of: recall, 回収 · on Facebook, Instagram · comments · in Japanese"
export function conditionsText(rule, t) {
  const r = normalRule(rule);
  const list = (items) => items.join(t('rules.listSeparator'));
  const parts = [];
  if (r.words.length) parts.push(t('rules.cond.words', { words: list(r.words) }));
  if (r.platforms.length) {
    parts.push(t('rules.cond.platforms', { platforms: list(r.platforms.map((p) => t(`rules.platform.${p}`))) }));
  }
  if (r.channels.length) {
    parts.push(t('rules.cond.channels', { channels: list(r.channels.map((c) => t(`rules.channels.${c}`))) }));
  }
  if (r.languages.length) {
    parts.push(t('rules.cond.languages', { languages: list(r.languages.map((l) => t(`rules.language.${l}`))) }));
  }
  return parts.length ? parts.join(t('rules.separator')) : t('rules.cond.none');
}

// the actions in words: "→ Customer service · tags: recall · priority +20 · replies automatically: “Thank you…”"
export function actionsText(rule, t) {
  const r = normalRule(rule);
  const parts = [];
  if (r.queue) parts.push(t('rules.action.queue', { queue: t(`queue.${r.queue}`) }));
  if (r.tags.length) parts.push(t('rules.action.tags', { tags: r.tags.join(t('rules.listSeparator')) }));
  if (r.priority_boost > 0) parts.push(t('rules.action.boost', { n: r.priority_boost }));
  if (r.reply) parts.push(t('rules.action.reply', { words: replyStart(r.reply) }));
  return parts.length ? parts.join(t('rules.separator')) : t('rules.action.none');
}

// a priority reason "rule:<name>" -> the rule's name (a name may hold a colon); null for any other reason
export function ruleReason(reason) {
  const said = String(reason ?? '');
  return said.startsWith('rule:') ? said.slice('rule:'.length) : null;
}

// the rule that routed a message, from its triage: {id, name, modelCategory}, or null
export function routedBy(triage) {
  const rule = triage?.rule;
  if (!rule || typeof rule !== 'object' || typeof rule.name !== 'string') return null;
  return { id: rule.id ?? null, name: rule.name, modelCategory: rule.model_category ?? null };
}

export { actorName } from './actors.js'; // who saved them, in words (tested with the rules)
