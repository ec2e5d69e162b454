// Tags as the API keeps them (chalicelib/domain/tags.py): 1 to 32 letters, digits, `_` and `-` in any script;
// Latin letters in lower case and full-width Latin letters and digits as ASCII, so "VIP", "vip" and "ｖｉｐ" are
// one tag. What is typed is folded the same way here, so the chips, the filter and the input agree, and a tag
// the API would refuse is named before anything is sent.
export const MAX_TAGS = 10; // per conversation, and per request
export const MAX_TAG_CHARS = 32;

// Python's \w on a str: letters and numbers of any script, and `_` (combining marks are not among them)
const TAG = /^[\p{L}\p{N}_-]+$/u;
const FULL_WIDTH = /[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g;

// one character at a time, as the API does: a letter whose lower case is two characters ("İ") stays as typed
function lower(character) {
  const folded = character.toLowerCase();
  return [...folded].length === 1 ? folded : character;
}

export function foldTag(text) {
  const composed = String(text).normalize('NFC').replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0));
  return [...composed].map(lower).join('');
}

export function validTag(tag) {
  return TAG.test(tag) && [...tag].length <= MAX_TAG_CHARS;
}

// "Refund, VIP  ｖｉｐ" -> {tags: ['refund', 'vip'], invalid: []}: separated by spaces or commas (ASCII,
// Japanese or full-width), each folded, each once
export function parseTags(text) {
  const words = String(text).split(/[\s,、，]+/u).filter(Boolean).map(foldTag);
  const unique = [...new Set(words)];
  return { tags: unique.filter(validTag), invalid: unique.filter((tag) => !validTag(tag)) };
}
