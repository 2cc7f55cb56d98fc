/**
 * The literals the text redactor's gates look for (`bearer`, `eyJ`, `-----BEGIN `, `pass`, …), found
 * as flag bits by the same Aho–Corasick pass that finds the provider keywords, so a string costs
 * one pass instead of that pass plus a regex test per gate. The index folds ASCII case, so a bit is
 * exact for the case-insensitive gates and a necessary condition for the case-sensitive ones (which
 * then confirm with their regex, now only on strings that hold the letters).
 */
export const LIT_EYJ = 1 << 0;
export const LIT_BEGIN = 1 << 1;
export const LIT_BEARER = 1 << 2;
export const LIT_BASIC = 1 << 3;
export const LIT_SECRET = 1 << 4;
export const LIT_ACCOUNTKEY = 1 << 5;
export const LIT_SHAREDACCESS = 1 << 6;
export const LIT_SIG = 1 << 7;
export const LIT_SCHEME = 1 << 8;
export const LIT_EARER = 1 << 9;
export const LIT_ASIC = 1 << 10;
export const LIT_ECRET = 1 << 11;
export const LIT_PASS = 1 << 12;
export const LIT_PWD = 1 << 13;
export const LIT_PIN = 1 << 14;
/** Any ASCII context word of the national-id rows (rules/national-ids.ts ID_CONTEXT_WORDS; added by the provider scanner). */
export const LIT_ID_CONTEXT = 1 << 15;

/** Flag words for the keyword index (lower case). */
export const TRIGGER_LITERALS: readonly (readonly [string, number])[] = [
  ['eyj', LIT_EYJ],
  ['-----begin ', LIT_BEGIN],
  ['bearer', LIT_BEARER],
  ['basic', LIT_BASIC],
  ['secret', LIT_SECRET],
  ['accountkey', LIT_ACCOUNTKEY],
  ['sharedaccess', LIT_SHAREDACCESS],
  ['sig=', LIT_SIG],
  ['://', LIT_SCHEME],
  ['earer', LIT_EARER],
  ['asic', LIT_ASIC],
  ['ecret', LIT_ECRET],
  ['pass', LIT_PASS],
  ['pwd', LIT_PWD],
  ['pin', LIT_PIN],
];

/**
 * Every literal a built-in secret rule needs (see each rule's `applies`): one native scan decides
 * whether any of them can match. AWS key ids have no literal and are gated on upperDigitRun.
 */
export const SECRET_TRIGGER_RE = /eyJ|-----BEGIN |bearer|basic|secret|accountkey|sharedaccess|sig=|:\/\//i;
/** SECRET_TRIGGER_RE as bits: all its alternatives are case-insensitive literals, so the bits are exact. */
export const SECRET_TRIGGER_BITS = LIT_EYJ | LIT_BEGIN | LIT_BEARER | LIT_BASIC | LIT_SECRET | LIT_ACCOUNTKEY | LIT_SHAREDACCESS | LIT_SIG | LIT_SCHEME;
/** The SECRET_TRIGGER_RE literals without a separator, in the cases their rules accept. */
export const WORD_TRIGGER_RE = /eyJ|earer|EARER|asic|ASIC|ecret|ECRET/;
/** Letters WORD_TRIGGER_RE needs in some case. */
export const WORD_TRIGGER_BITS = LIT_EYJ | LIT_EARER | LIT_ASIC | LIT_ECRET;
/** Words announcing a password in prose (gate for scanProsePasswords). */
export const PROSE_GATE_RE = /pass|pwd|pin\b/i;
export const PROSE_GATE_BITS = LIT_PASS | LIT_PWD | LIT_PIN;
