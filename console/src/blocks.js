// Blocking a customer (POST /blocks, managers and admins; Chatwoot's "Block contact", Zendesk's "suspend user"):
// while they are blocked, each new message of theirs is kept but never enters a queue (status removed, its
// `moderation.state` blocked). Nothing is sent to them or to the platform, unless the manager also bans them on the
// platform (`on_platform`, until unblocked only): then the platform is asked first, and unblocking lets them back
// there too. Unblocking changes nothing already kept.
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

// What a ban on the platform is there, for each platform that offers one through its API: the console's copy of
// chalicelib/domain/bans.py's OFFERED ("Page ban" -> page_ban), which tests/test_console_blocks.py holds to the same
// values. Instagram and the generic sources offer none: the console offers no ban there, so no tick leads to a
// refusal. The kind names the words (block.ban.<kind>, block.banned.<kind>, ...).
export const PLATFORM_BANS = {
  facebook: 'page_ban',
  messenger: 'page_ban',
  whatsapp: 'block',
  x: 'mute',
  telegram: 'group_ban',
};

// the kind of ban this platform offers, or null
export function platformBan(platform) {
  return Object.hasOwn(PLATFORM_BANS, platform) ? PLATFORM_BANS[platform] : null;
}

// whether a block for `days` (null: until unblocked) may also ban on this platform: a ban there does not end by
// itself, so only a block until unblocked (the API: platform_ban_not_timed)
export function canBanOnPlatform(platform, days) {
  return platformBan(platform) !== null && days === null;
}

// POST /blocks's body: the reason trimmed (left out when empty, cut to MAX_REASON), the days left out for "until
// unblocked", `on_platform` only when asked for (the API refuses it with days: the form never offers both)
export function blockBody(platform, authorId, reason = '', days = null, onPlatform = false) {
  const said = String(reason ?? '').trim().slice(0, MAX_REASON);
  return {
    platform, author_id: authorId, ...(said ? { reason: said } : {}), ...(days === null ? {} : { expires_in_days: days }),
    ...(onPlatform === true ? { on_platform: true } : {}),
  };
}

// the kind of ban a block made on the platform too (its `platform_ban`), or null: a block only in the inbox
export function bannedOnPlatform(block) {
  const ban = block?.platform_ban;
  return ban && typeof ban === 'object' && ban.account ? (platformBan(block.platform) ?? 'other') : null;
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
