// How long a reply the platform takes, counted as it counts (chalicelib/domain/reply_limits.py): the API's
// conversation says each reply's `text_limit` ({limit, unit}); this counts the draft in that unit, so the reply box
// says what is left before the API would answer 422 `text_too_long`.
const X_URL_WEIGHT = 23; // every link is a t.co link of this length
// twitter-text v3: code points in these ranges weigh 1, every other one 2
const X_LIGHT = [[0x0000, 0x10ff], [0x2000, 0x200d], [0x2010, 0x201f], [0x2032, 0x2037]];
const X_URL = /https?:\/\/\S+/giu;
const JOINERS = new Set([0x200d, 0xfe0e, 0xfe0f, 0x20e3]); // glue an emoji sequence: one emoji in all

function weigh(text) {
  let total = 0;
  let joined = false;
  let flagHalf = false;
  for (const char of text) {
    const point = char.codePointAt(0);
    if (JOINERS.has(point) || (point >= 0x1f3fb && point <= 0x1f3ff) || (point >= 0xe0020 && point <= 0xe007f)) {
      joined = point === 0x200d; // the next code point continues the same emoji
      continue;
    }
    if (joined) {
      joined = false;
      continue;
    }
    if (point >= 0x1f1e6 && point <= 0x1f1ff) { // two regional indicators make one flag
      flagHalf = !flagHalf;
      if (!flagHalf) continue;
    } else {
      flagHalf = false;
    }
    total += X_LIGHT.some(([low, high]) => point >= low && point <= high) ? 1 : 2;
  }
  return total;
}

// X's weighted length of a post: NFC, each link 23, each code point 1 or 2, an emoji sequence 2 in all
export function xWeightedLength(text) {
  const normal = text.normalize('NFC');
  let total = 0;
  let last = 0;
  for (const link of normal.matchAll(X_URL)) {
    total += weigh(normal.slice(last, link.index)) + X_URL_WEIGHT;
    last = link.index + link[0].length;
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
