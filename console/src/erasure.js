// Erasing a customer's personal data (POST /erasures, admins only; GDPR's right to erasure, Zendesk's "permanently
// delete end user"): every message the customer wrote loses its text and their name, and so do the replies and team
// notes in the conversations they opened. It is redaction: the items stay (times, queue, status), their words go.
// Kept free of the page (no DOM, no i18n) so that node can run it in tests/test_console_erasure.py.

// why an item was erased, as the API says it (`erased.reason`); each has its words in messages.js
export const REASONS = ['customer_request', 'deleted_on_platform', 'retention'];
export const MAX_REASON = 500;
// a conversation closed because its customer's data was erased: its `resolution_reason`, and its `resolved` entry's reason
export const CLOSED_BY_ERASURE = 'erased';
export const UNKNOWN_AUTHOR = 'unknown'; // chalicelib/models.py's: many people under one id, never erased as one
// an erasure the API cuts to its time budget is sent again; past this many rounds the admin is told to go on
// (it is idempotent and goes on where it stopped), so an API that never says done cannot loop for ever
export const MAX_ROUNDS = 200;

// the message key for the words an erased item shows instead of its text (an unknown reason: the general words)
export function erasedKey(erased) {
  return REASONS.includes(erased?.reason) ? `erasure.shown.${erased.reason}` : 'erasure.shown.other';
}

export function isErased(item) {
  return Boolean(item && item.erased && typeof item.erased === 'object');
}

// POST /erasures again and again until the API says done: `post(body)` sends one request and answers its JSON,
// `progress(total)` hears the running counts after each round that was not the last. The counts are the API's per
// request, added up here. An error goes to the caller with what was erased before it (`error.erasedSoFar`).
export async function eraseAll(body, post, progress = () => {}, rounds = MAX_ROUNDS) {
  const total = { messages: 0, conversations: 0, done: false };
  for (let round = 0; round < rounds; round += 1) {
    let answer;
    try {
      answer = await post(body);
    } catch (error) {
      error.erasedSoFar = { ...total };
      throw error;
    }
    total.messages += Number(answer?.messages_erased) || 0;
    total.conversations += Number(answer?.conversations_erased) || 0;
    if (answer?.done === true) return { ...total, done: true };
    progress({ ...total });
  }
  return total;
}

// Reading what is kept of a customer (GET /customer-data, admins only; GDPR's right of access): every page, following
// `next_cursor`, into one JSON file. Past this many pages the admin is told it stopped (no file: it would not be all).
export const MAX_PAGES = 200;

// `read(cursor)` answers one page ({messages, next_cursor}; cursor null for the first), `progress(n)` hears the number
// of messages read after each page that was not the last. Answers {messages, done}; done is false when it stopped at
// the pages' limit. An error goes to the caller with the number read before it (`error.readSoFar`).
export async function readAll(read, progress = () => {}, pages = MAX_PAGES) {
  const messages = [];
  let cursor = null;
  for (let page = 0; page < pages; page += 1) {
    let answer;
    try {
      answer = await read(cursor);
    } catch (error) {
      error.readSoFar = messages.length;
      throw error;
    }
    if (Array.isArray(answer?.messages)) messages.push(...answer.messages);
    cursor = typeof answer?.next_cursor === 'string' && answer.next_cursor ? answer.next_cursor : null;
    if (cursor === null) return { messages, done: true };
    progress(messages.length);
  }
  return { messages, done: false };
}

// a part of a file name: letters, digits, dot, dash and underscore kept, anything else one underscore, no leading dot,
// at most `max` characters (an author id is the platform's, not ours: it may hold anything)
function namePart(value, max) {
  const part = String(value ?? '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, max);
  return part || 'author'; // nothing left of it (an id all in other scripts): not `unknown`, which means many
}

export function dataFileName(platform, authorId) {
  return `customer-data-${namePart(platform, 20)}-${namePart(authorId, 100)}.json`;
}

// what the file holds: who, when it was made, and every message kept, as the API gave them
export function dataDocument(platform, authorId, messages, now = new Date()) {
  return { platform, author_id: authorId, exported_at: now.toISOString(), messages };
}
