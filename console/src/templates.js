// WhatsApp message templates (GET and PUT /whatsapp-templates; POST /conversations/{id}/template-replies): WhatsApp
// lets a business write to a customer only within 24 hours of the customer's last message; after that only a template
// Meta approved may be sent. Managers copy the approved ones here (name, language, body with {{1}}..{{n}}); whoever may
// answer a WhatsApp conversation sends one with its parameters filled in. The checks are the API's
// (chalicelib/domain/whatsapp_templates.py), made before asking it so that a refusal is said beside the field.
// Kept free of the page (no DOM, no i18n) so that node can run it in tests/test_console_templates.py.

export const MAX_TEMPLATES = 100;
export const MAX_BODY = 1024; // characters (code points), Meta's limit on a template's body
export const MAX_NAME = 512;
export const MAX_PARAMETER = 1024;
export const NAME_PATTERN = /^[a-z0-9_]{1,512}$/; // as WhatsApp Manager names them
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(_[A-Z]{2})?$/; // en, en_US, ja, pt_BR
// the API's placeholder: {{1}}, also written {{ 1 }}
const PLACEHOLDER = /\{\{\s*([0-9]+)\s*\}\}/g;
const BREAK = /[\n\r\t]/; // WhatsApp refuses a new line or a tab in a text parameter…
const SPACES = / {5,}/; // …and more than four spaces in a row
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,100}$/;

export function characters(text) {
  return [...String(text ?? '')].length;
}

// the placeholders' numbers a body holds, each once, in order: "Hi {{2}} {{1}} {{2}}" -> [1, 2]
export function placeholders(body) {
  const found = new Set([...String(body ?? '').matchAll(PLACEHOLDER)].map((m) => Number(m[1])));
  return [...found].sort((a, b) => a - b);
}

// how many parameters a body takes, as the API counts them (its highest placeholder)
export function parameterCount(body) {
  const numbers = placeholders(body);
  return numbers.length ? numbers[numbers.length - 1] : 0;
}

// the numbers missing from {{1}}..{{n}} (a body with {{1}} and {{3}}: [2]); {{0}} is never right
function skipped(numbers) {
  const top = numbers.length ? numbers[numbers.length - 1] : 0;
  const missing = [];
  for (let n = 1; n <= top; n += 1) if (!numbers.includes(n)) missing.push(n);
  return missing;
}

// the words the customer reads: each {{n}} replaced by the n-th parameter; one not given yet (the preview while she
// types) stays {{n}}
export function renderTemplate(body, parameters = []) {
  return String(body ?? '').replace(PLACEHOLDER, (whole, n) => {
    const value = parameters[Number(n) - 1];
    return typeof value === 'string' && value.trim() ? value.trim() : `{{${Number(n)}}}`;
  });
}

// the same, in parts for the preview: [{text}, {parameter: n, value|null}, ...] (a missing one is marked apart)
export function previewParts(body, parameters = []) {
  const parts = [];
  let at = 0;
  const text = String(body ?? '');
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > at) parts.push({ text: text.slice(at, m.index) });
    const n = Number(m[1]);
    const value = typeof parameters[n - 1] === 'string' && parameters[n - 1].trim() ? parameters[n - 1].trim() : null;
    parts.push({ parameter: n, value });
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

// a template as the API answered it -> {name, language, body, parameters}, every field of its type
export function normalTemplate(template) {
  const body = typeof template?.body === 'string' ? template.body : '';
  return {
    name: typeof template?.name === 'string' ? template.name : '',
    language: typeof template?.language === 'string' ? template.language : '',
    body,
    parameters: Number.isInteger(template?.parameters) ? template.parameters : parameterCount(body),
  };
}

// GET or PUT /whatsapp-templates' answer -> the form's rows ({name, language, body})
export function rowsOf(answer) {
  const templates = Array.isArray(answer?.templates) ? answer.templates : [];
  return templates.map(normalTemplate).map(({ name, language, body }) => ({ name, language, body }));
}

// the rows as the form holds them -> the rows to save: a row left wholly blank (added, never filled) is dropped; name
// and language trimmed (a space copied with them is no part of them), the body as typed (what the customer reads)
export function filledRows(rows) {
  return (Array.isArray(rows) ? rows : [])
    .map((row) => ({ name: String(row?.name ?? '').trim(), language: String(row?.language ?? '').trim(),
      body: String(row?.body ?? '') }))
    .filter((row) => row.name || row.language || row.body.trim());
}

// why the rows may not be saved, before asking the API: {problem, row (0-based, in the rows given), field, ...} or
// null. Problems: tooMany, nameNeeded, badName, languageNeeded, badLanguage, twice (with `first`), bodyNeeded,
// bodyTooLong (with `over`), skipped (with `missing`: the numbers skipped), placeholderZero ({{0}})
export function templatesProblem(rows) {
  if (rows.length > MAX_TEMPLATES) return { problem: 'tooMany', row: MAX_TEMPLATES, field: 'name', max: MAX_TEMPLATES };
  const seen = new Map();
  for (const [row, { name, language, body }] of rows.entries()) {
    if (!name) return { problem: 'nameNeeded', row, field: 'name' };
    if (!NAME_PATTERN.test(name)) return { problem: 'badName', row, field: 'name' };
    if (!language) return { problem: 'languageNeeded', row, field: 'language' };
    if (!LANGUAGE_PATTERN.test(language)) return { problem: 'badLanguage', row, field: 'language' };
    const key = `${name}\u0000${language}`;
    if (seen.has(key)) return { problem: 'twice', row, field: 'name', first: seen.get(key) };
    seen.set(key, row);
    if (!body.trim()) return { problem: 'bodyNeeded', row, field: 'body' };
    const over = characters(body) - MAX_BODY;
    if (over > 0) return { problem: 'bodyTooLong', row, field: 'body', over, max: MAX_BODY };
    const numbers = placeholders(body);
    if (numbers.includes(0)) return { problem: 'placeholderZero', row, field: 'body' };
    const missing = skipped(numbers);
    if (missing.length) return { problem: 'skipped', row, field: 'body', missing };
  }
  return null;
}

// PUT /whatsapp-templates' body at the revision read
export function templatesBody(rows, rev) {
  return { templates: rows.map(({ name, language, body }) => ({ name, language, body })), rev };
}

// which template an API refusal names ("template 'order_update' (en_US): ..."), as {name, language}, or null
export function refusedTemplate(message) {
  const found = String(message ?? '').match(/template '([^']*)' \(([^)]*)\)/);
  return found ? { name: found[1], language: found[2] } : null;
}

// the templates to choose from in a conversation: those in the conversation's language first (`ja` matches `ja` and
// `ja_JP`), then by name and language
export function choices(templates, conversationLanguage) {
  const rank = (t) => (conversationLanguage && t.language.split('_')[0] === conversationLanguage ? 0 : 1);
  return (Array.isArray(templates) ? templates : []).map(normalTemplate).filter((t) => t.name && t.language)
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
}

// a choice's value in the picker, and back
export const choiceValue = (template) => `${template.name}|${template.language}`;
export function chosenTemplate(templates, value) {
  return (Array.isArray(templates) ? templates : []).map(normalTemplate)
    .find((t) => choiceValue(t) === value) || null;
}

// the parameters as typed -> as sent: each trimmed (a space around it is no part of the customer's name)
export function cleanParameters(values, count) {
  return Array.from({ length: count }, (_, i) => String(values?.[i] ?? '').trim());
}

// why these parameters may not be sent, before asking the API: {problem, n (1-based)} or null. Problems: blank,
// tooLong (with `over`), lineBreak (a new line or a tab), spaces (more than four in a row)
export function parametersProblem(template, values) {
  const count = normalTemplate(template).parameters;
  const sent = cleanParameters(values, count);
  for (const [i, value] of sent.entries()) {
    const n = i + 1;
    if (!value) return { problem: 'blank', n };
    const over = characters(value) - MAX_PARAMETER;
    if (over > 0) return { problem: 'tooLong', n, over, max: MAX_PARAMETER };
    if (BREAK.test(value)) return { problem: 'lineBreak', n };
    if (SPACES.test(value)) return { problem: 'spaces', n };
  }
  return null;
}

// POST /conversations/{id}/template-replies' body
export function templateReplyBody(template, values, idempotencyKey) {
  const { name, language, parameters } = normalTemplate(template);
  return { name, language, parameters: cleanParameters(values, parameters), idempotency_key: idempotencyKey };
}

// one idempotency key per attempt: the pending attempt kept (per tab) for this conversation is sent again while it asks
// for the same template with the same parameters (a double click, a retry after a timeout, a refresh), so the customer
// never gets it twice; anything else asked is a new attempt with `newKey`. -> {name, language, parameters, key}
export function pendingTemplateAttempt(pending, template, values, newKey) {
  const { name, language, parameters } = normalTemplate(template);
  const asked = { name, language, parameters: cleanParameters(values, parameters) };
  const same = pending && typeof pending === 'object' && pending.name === asked.name
    && pending.language === asked.language && Array.isArray(pending.parameters)
    && JSON.stringify(pending.parameters) === JSON.stringify(asked.parameters)
    && KEY_PATTERN.test(String(pending.key ?? ''));
  return same ? { ...asked, key: pending.key } : { ...asked, key: newKey };
}

// a conversation whose reply window WhatsApp closed (24 hours since the customer last wrote): only a template now
export function onlyTemplates(item) {
  return item?.platform === 'whatsapp' && item?.reply_window?.open === false
    && item.reply_window.reason === 'whatsapp_window_closed';
}

// a reply sent as a template: {name, language}, or null
export function templateOf(reply) {
  const said = reply?.template;
  return said && typeof said === 'object' && typeof said.name === 'string'
    ? { name: said.name, language: typeof said.language === 'string' ? said.language : '' } : null;
}
