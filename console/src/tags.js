// Tags as the API keeps them (chalicelib/domain/tags.py): 1 to 32 characters in any script (combining marks
// included: "हिंदी", "ด่วน", a decomposed "café"), none of them a control character, a space, an invisible
// character or a comma. Each is kept in one spelling, NFKC(casefold(NFKC(tag))) without those characters and at
// most 32 characters long, so "VIP", "vip" and "ｖｉｐ", "ｶﾀｶﾅ" and "カタカナ" are one tag each. What is typed
// is folded the same way here (close enough: the chips are always drawn from the API's answer), so the chips,
// the filter and the input agree, and a tag the API would refuse is named before anything is sent.
export const MAX_TAGS = 10; // per conversation, and per request
export const MAX_TAG_CHARS = 32;

// what a tag may not hold, code point by code point as the API spells it out: controls (C0, DEL, C1), spaces
// and invisible characters (NBSP, soft hyphen, Ogham, Mongolian vowel separator, U+2000-U+200F,
// U+2028-U+202F, U+205F-U+206F, ideographic space, BOM) and the comma in its every width
const NOT_IN_A_TAG = '\\u0000-\\u0020\\u007f-\\u00a0\\u00ad\\u1680\\u180e\\u2000-\\u200f\\u2028-\\u202f'
  + '\\u205f-\\u206f\\u3000\\ufe10\\ufe50\\ufeff\\uff0c,';
const FORBIDDEN = new RegExp(`[${NOT_IN_A_TAG}]`, 'u');
const DROPPED = new RegExp(`[${NOT_IN_A_TAG}]+`, 'gu');

// Python's str.casefold() where it differs from toLowerCase(): ß, final sigma, the iota subscript (after NFD),
// old Cyrillic forms and Cherokee (whose case fold is the capital)
const CASEFOLD = {
  ß: 'ss', ς: 'σ', '\u0345': 'ι', '\u1c80': 'в', '\u1c81': 'д', '\u1c82': 'о', '\u1c83': 'с', '\u1c84': 'т',
  '\u1c85': 'т', '\u1c86': 'ъ', '\u1c87': 'ѣ', '\u1c88': 'ꙋ',
};
const FOLDED_APART = /[ßς\u0345\u1c80-\u1c88\u13f8-\u13fd\uab70-\uabbf]/gu;

function casefold(text) {
  return text.toLowerCase().normalize('NFD').replace(FOLDED_APART, (c) => {
    if (c in CASEFOLD) return CASEFOLD[c];
    const code = c.codePointAt(0);
    return String.fromCodePoint(code >= 0xab70 ? code - 0xab70 + 0x13a0 : code - 8);
  });
}

const chars = (text) => [...text];

// the one spelling the API keeps: NFKC, case folded, NFKC again, without what a tag may not hold (NFKC turns a
// few characters into a space and a mark), at most 32 characters (folding lengthens a few: "ß" is "ss")
export function foldTag(text) {
  const nfkc = (s) => s.normalize('NFKC');
  return chars(nfkc(nfkc(casefold(nfkc(String(text)))).replace(DROPPED, ''))).slice(0, MAX_TAG_CHARS).join('');
}

// what the API accepts as typed: 1 to 32 characters, none of those above
export function validTag(tag) {
  const length = chars(String(tag)).length;
  return length >= 1 && length <= MAX_TAG_CHARS && !FORBIDDEN.test(tag);
}

// "Refund, VIP  ｖｉｐ" -> {tags: ['refund', 'vip'], invalid: []}: separated by spaces or commas (ASCII,
// Japanese or full-width), each checked as typed, then folded, each once
export function parseTags(text) {
  const words = [...new Set(String(text).split(/[\s,、，]+/u).filter(Boolean))];
  const invalid = words.filter((word) => !validTag(word));
  const tags = [...new Set(words.filter(validTag).map(foldTag))].filter(Boolean);
  return { tags, invalid };
}
