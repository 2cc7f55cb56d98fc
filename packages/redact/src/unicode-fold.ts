/**
 * Unicode forms of ASCII characters that people and systems type instead of the ASCII ones:
 * full-width forms (`４１１１…`, `ｐａｓｓｗｏｒｄ`), other scripts' decimal digits (Arabic-Indic,
 * Devanagari, Bengali, Thai, …), no-break and ideographic spaces, Unicode dashes and minus. Each
 * folds to exactly one ASCII code unit, so offsets in the folded text are offsets in the original
 * and a hit found in one is replaced in the other.
 */
export const FOLD = new Uint16Array(65536);
for (let c = 0xff01; c <= 0xff5e; c++) FOLD[c] = c - 0xfee0;
for (const zero of [0x0660, 0x06f0, 0x07c0, 0x0966, 0x09e6, 0x0a66, 0x0ae6, 0x0b66, 0x0be6, 0x0c66, 0x0ce6, 0x0d66, 0x0e50, 0x0ed0, 0x0f20, 0x1040, 0x17e0, 0x1810, 0xff10]) {
  for (let d = 0; d < 10; d++) FOLD[zero + d] = 48 + d;
}
for (const space of [0x00a0, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x202f, 0x205f, 0x3000]) FOLD[space] = 32;
for (const dash of [0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xfe63]) FOLD[dash] = 45;

/** The folded text (same length), or null when nothing folds. */
export function foldText(text: string): string | null {
  let out: Uint16Array | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) continue;
    const f = FOLD[c]!;
    if (f === 0) continue;
    if (out === null) {
      out = new Uint16Array(text.length);
      for (let j = 0; j < text.length; j++) out[j] = text.charCodeAt(j);
    }
    out[i] = f;
  }
  if (out === null) return null;
  let s = '';
  for (let at = 0; at < out.length; at += 8192) s += String.fromCharCode(...out.subarray(at, Math.min(out.length, at + 8192)));
  return s;
}
