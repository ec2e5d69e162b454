// Blocking a customer (POST /blocks, managers and admins; Chatwoot's "Block contact", Zendesk's "suspend user"):
// while they are blocked, each new message of theirs is kept but never enters a queue (status removed, its
// `moderation.state` blocked). Nothing is sent to them or to the platform; unblocking changes nothing already kept.
// Kept free of the page (no DOM, no i18n) so that node can run it in tests/test_console_blocks.py.

export const BLOCKED = 'blocked'; // a held-back message's `moderation.state`
export const MAX_REASON = 500;
export const UNKNOWN_AUTHOR = 'unknown'; // many people under one id: never blocked as one (author_not_blockable)
// how long, in days, in the order offered; null: until someone unblocks them (no expires_in_days sent)
export const DURATIONS = [1, 7, 30, null];
export const MIN_DAYS = 1;
export const MAX_DAYS = 3650;

// the option's value in the form ("1", "7", "30", "forever") and back
export function durationValue(days) {
  return days === null ? 'forever' : String(days);
}

export function durationDays(value) {
  if (value === 'forever' || value === '' || value === null || value === undefined) return null;
  const days = Number(value);
  return Number.isInteger(days) && days >= MIN_DAYS && days <= MAX_DAYS ? days : null;
}

// whether this author may be blocked from the console: a customer's own id, never `unknown`
export function blockable(platform, authorId) {
  return Boolean(platform) && typeof authorId === 'string' && authorId !== '' && authorId !== UNKNOWN_AUTHOR;
}

// POST /blocks's body: the reason trimmed (left out when empty, cut to MAX_REASON), the days left out for "until
// unblocked"
export function blockBody(platform, authorId, reason = '', days = null) {
  const said = String(reason ?? '').trim().slice(0, MAX_REASON);
  return {
    platform, author_id: authorId, ...(said ? { reason: said } : {}), ...(days === null ? {} : { expires_in_days: days }),
  };
}

// DELETE /blocks's query
export function unblockQuery(block) {
  return { platform: block.platform, author_id: block.author_id };
}

// how a block names its customer: their name, else @handle, else null (the caller names them by id)
export function blockedName(block) {
  if (block?.name) return block.name;
  return block?.handle ? `@${block.handle}` : null;
}

// a message (or a listed conversation's first message) held back because its author was blocked
export function isHeldBack(message) {
  return message?.moderation?.state === BLOCKED;
}

// a block the API answered, or null: what GET /conversations/{id}/customer says in `blocked`
export function activeBlock(answer) {
  const block = answer?.blocked;
  return block && typeof block === 'object' && block.author_id ? block : null;
}

// the next page's cursor from GET /blocks, or null when this was the last
export function nextCursor(answer) {
  return typeof answer?.next_cursor === 'string' && answer.next_cursor ? answer.next_cursor : null;
}

// the rows shown after a page arrives: the earlier ones, then the page's, each customer once (a block made between two
// reads moves to the top of the API's order and could come again on a later page)
export function addPage(shown, page) {
  const key = (block) => `${block.platform}\u0000${block.author_id}`;
  const seen = new Set(shown.map(key));
  const added = (Array.isArray(page?.blocks) ? page.blocks : []).filter((block) => {
    if (seen.has(key(block))) return false;
    seen.add(key(block));
    return true;
  });
  return [...shown, ...added];
}
