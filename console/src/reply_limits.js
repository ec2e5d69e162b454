// How long a reply the platform takes, counted as it counts (chalicelib/domain/reply_limits.py): the API's
// conversation says each reply's `text_limit` ({limit, unit}); this counts the draft in that unit, so the reply box
// says what is left before the API would answer 422 `text_too_long`.
const X_URL_WEIGHT = 23; // every link is a t.co link of this length
// twitter-text v3: code points in these ranges weigh 1, every other one 2
const X_LIGHT = [[0x0000, 0x10ff], [0x2000, 0x200d], [0x2010, 0x201f], [0x2032, 0x2037]];
// a link with its protocol and a dotted host; what ends a sentence after it is not part of it
const X_URL = /https?:\/\/(?:[^\s/?#.]+\.)+[^\s/?#.]{2,}\S*/giu;
const AFTER_A_LINK = /[.,!?:;'"]+$/u;
const ZWJ = 0x200d;
const TEXT_STYLE = 0xfe0e;
const EMOJI_STYLE = 0xfe0f;
const KEYCAP = 0x20e3;

// an emoji shown as one by default (its weight is 2): what a ZWJ, a skin tone or a tag joins on to
function pictographic(point) {
  return point >= 0x1f000 || (point >= 0x2300 && point <= 0x23ff) || (point >= 0x2600 && point <= 0x27bf)
    || (point >= 0x2b00 && point <= 0x2bff);
}

function weigh(text) {
  let total = 0;
  let emoji = false;
  let lastWeight = 0;
  let joined = false;
  let flagHalf = false;
  for (const char of text) {
    const point = char.codePointAt(0);
    if (joined) { // the code point after a ZWJ inside an emoji: part of it
      joined = false;
      continue;
    }
    if (emoji && (point === ZWJ || (point >= 0x1f3fb && point <= 0x1f3ff) || (point >= 0xe0020 && point <= 0xe007f))) {
      joined = point === ZWJ; // a skin tone or a tag letter belongs to the emoji; a ZWJ joins the next one
      continue;
    }
    if (point === EMOJI_STYLE || point === KEYCAP || point === TEXT_STYLE) {
      if (point !== TEXT_STYLE && !emoji && lastWeight === 1) { // © or a digit made an emoji: 2 in all
        total += 1;
        emoji = true;
        lastWeight = 2;
      }
      continue;
    }
    if (point >= 0x1f1e6 && point <= 0x1f1ff) { // two regional indicators make one flag
      flagHalf = !flagHalf;
      if (!flagHalf) continue;
    } else {
      flagHalf = false;
    }
    lastWeight = X_LIGHT.some(([low, high]) => point >= low && point <= high) ? 1 : 2;
    total += lastWeight;
    emoji = pictographic(point) || (point >= 0x1f1e6 && point <= 0x1f1ff);
  }
  return total;
}

// X's weighted length of a post (chalicelib/domain/reply_limits.py x_weighted_length: never more than X's count;
// a link without https:// is counted as typed)
export function xWeightedLength(text) {
  const normal = text.normalize('NFC');
  let total = 0;
  let last = 0;
  for (const link of normal.matchAll(X_URL)) {
    total += weigh(normal.slice(last, link.index)) + X_URL_WEIGHT;
    last = link.index + link[0].replace(AFTER_A_LINK, '').length;
  }
  return total + weigh(normal.slice(last));
}

const encoder = new TextEncoder();

// the draft's length in the platform's unit: characters (code points), UTF-8 bytes, X's weight, UTF-16 units
export function measure(text, unit) {
  if (unit === 'bytes') return encoder.encode(text).length;
  if (unit === 'utf16') return text.length;
  if (unit === 'weighted') return xWeightedLength(text);
  return [...text].length;
}

// what is left of the limit ({limit, unit}) for this draft; negative when it is too long; null without a limit
export function remaining(text, textLimit) {
  return textLimit ? textLimit.limit - measure(text, textLimit.unit) : null;
}
