/**
 * National identifiers, as data: one row per printed form, each with its checksum where the
 * identifier has one (in the style of Presidio's recognizers). Forms that are only digits (a
 * PESEL is any 11 digits to the eye) need a context word shortly before them (`PESEL: …`);
 * formatted or lettered forms stand on their own once their checksum holds.
 */

import { KeywordIndex } from './keyword-index';

/**
 * Digit shapes measured with the runs (value-rules' measureRuns), so rows whose printed form
 * needs one are skipped without running their regex:
 * - CAP_PAIR_DIGIT: two capitals then a digit, or a space and a digit (`AB 12…`, `AB12…`);
 * - SIX_SEP_DIGIT: six or more digits, one other character, a digit (`850101-1234`, `131052-308T`);
 * - DOT_DIGIT: digit '.' digit (`123.456.789-09`, `12.345.678-5`).
 */
export const ID_SHAPE_CAP_PAIR_DIGIT = 1;
export const ID_SHAPE_SIX_SEP_DIGIT = 2;
export const ID_SHAPE_DOT_DIGIT = 4;
/** Three consecutive digit groups of one run (single ' ' '-' '.' '/' between) of lengths 3-3-3, 3-2-4, 4-4-4. */
export const ID_SHAPE_GROUPS_333 = 8;
export const ID_SHAPE_GROUPS_324 = 16;
export const ID_SHAPE_GROUPS_444 = 32;

export interface NationalIdRule {
  readonly type: string;
  readonly country: string;
  /** Regex source of the printed form (digits ASCII: the text is folded first). */
  readonly pattern: string;
  /** Lower-case words one of which must occur within CONTEXT_WINDOW characters before the match. */
  readonly context?: readonly string[];
  readonly validate: (id: string) => boolean;
  /** Prefilter: the longest digit run (single separators allowed) the form needs, and its capitals. */
  readonly run: number;
  readonly upper: number;
  /** Prefilter: the longest run of consecutive digits every match holds (its longest mandatory digit group). */
  readonly pure?: number;
  /** Prefilter: the digit groups (joined by single ' ' '-' '.' '/') every match holds in one run, when more than one. */
  readonly groups?: number;
  /** Prefilter: digits every match holds in all (when the runs say less). */
  readonly digits?: number;
  /** Prefilter: ID_SHAPE_* bits every match shows (see value-rules' measureRuns). */
  readonly shape?: number;
  readonly format: string;
  readonly source: string;
}

export const CONTEXT_WINDOW = 48;

const PRESIDIO = 'Presidio recognizer';
const digitsOf = (s: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) out.push(c - 48);
  }
  return out;
};
const clean = (s: string) => s.replace(/[^0-9A-Za-z]/g, '').toUpperCase();

export function luhn(d: readonly number[]): boolean {
  let sum = 0;
  for (let i = d.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
    let x = d[i]!;
    if (dbl) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
    sum += x;
  }
  return sum % 10 === 0;
}

/** Calendar date check (month 1-12, day within the month; leap years ignored: 29 Feb passes). */
function validDate(day: number, month: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

const weighted = (d: readonly number[], w: readonly number[]) => w.reduce((s, wi, i) => s + wi * d[i]!, 0);

// --- validators ----------------------------------------------------------------------------------

export function ukNhs(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 10) return false;
  const r = 11 - (weighted(d, [10, 9, 8, 7, 6, 5, 4, 3, 2]) % 11);
  const check = r === 11 ? 0 : r;
  return check !== 10 && check === d[9];
}

const NIF_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
export function esNif(id: string): boolean {
  const s = clean(id);
  let body = s.slice(0, -1);
  if (/^[XYZ]/.test(body)) body = 'XYZ'.indexOf(body[0]!) + body.slice(1);
  return /^\d{8}$/.test(body) && NIF_LETTERS[Number(body) % 23] === s.slice(-1);
}

const CF_ODD: Record<string, number> = {};
{
  const odd = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
  for (let i = 0; i < 10; i++) CF_ODD[String(i)] = odd[i]!;
  for (let i = 0; i < 26; i++) CF_ODD[String.fromCharCode(65 + i)] = odd[i]!;
}
const cfEven = (c: string) => (c >= '0' && c <= '9' ? Number(c) : c.charCodeAt(0) - 65);
export function itCodiceFiscale(id: string): boolean {
  const s = clean(id);
  if (s.length !== 16) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) sum += i % 2 === 0 ? CF_ODD[s[i]!]! : cfEven(s[i]!);
  return String.fromCharCode(65 + (sum % 26)) === s[15];
}

export function frNir(id: string): boolean {
  const s = clean(id);
  if (s.length !== 15) return false;
  const body = s.slice(0, 13).replace('2A', '19').replace('2B', '18');
  if (!/^\d{13}$/.test(body)) return false;
  return 97 - Number(BigInt(body) % 97n) === Number(s.slice(13));
}

export function deSteuerId(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 11 || d[0] === 0) return false;
  const counts = new Map<number, number>();
  for (const x of d.slice(0, 10)) counts.set(x, (counts.get(x) ?? 0) + 1);
  const repeats = [...counts.values()].filter((c) => c > 1);
  if (repeats.length !== 1 || repeats[0]! > 3) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (d[i]! + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product === 10 ? 0 : 11 - product;
  return check === d[10];
}

export function nlBsn(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 9) return false;
  return (weighted(d, [9, 8, 7, 6, 5, 4, 3, 2]) - d[8]!) % 11 === 0 && d.some((x) => x !== 0);
}

export function beNationalNumber(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 11) return false;
  const body = Number(d.slice(0, 9).join(''));
  const check = Number(d.slice(9).join(''));
  return 97 - (body % 97) === check || 97 - ((2_000_000_000 + body) % 97) === check;
}

export function plPesel(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 11) return false;
  const month = (d[2]! * 10 + d[3]!) % 20;
  if (!validDate(d[4]! * 10 + d[5]!, month)) return false;
  return (10 - (weighted(d, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10)) % 10 === d[10];
}

export function sePersonnummer(id: string): boolean {
  let d = digitsOf(id);
  if (d.length === 12) d = d.slice(2);
  if (d.length !== 10) return false;
  const day = (d[4]! * 10 + d[5]!) % 60; // samordningsnummer: day + 60
  return validDate(day, d[2]! * 10 + d[3]!) && luhn(d);
}

const HETU_CHECK = '0123456789ABCDEFHJKLMNPRSTUVWXY';
export function fiHetu(id: string): boolean {
  const s = id.toUpperCase();
  const n = Number(s.slice(0, 6) + s.slice(7, 10));
  return validDate(Number(s.slice(0, 2)), Number(s.slice(2, 4))) && HETU_CHECK[n % 31] === s[10];
}

export function noFodselsnummer(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 11) return false;
  if (!validDate((d[0]! * 10 + d[1]!) % 40, (d[2]! * 10 + d[3]!) % 40)) return false; // D- and H-numbers
  let k1 = 11 - (weighted(d, [3, 7, 6, 1, 8, 9, 4, 5, 2]) % 11);
  if (k1 === 11) k1 = 0;
  let k2 = 11 - (weighted(d, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11);
  if (k2 === 11) k2 = 0;
  return k1 === d[9] && k2 === d[10];
}

export function dkCpr(id: string): boolean {
  const d = digitsOf(id);
  return d.length === 10 && validDate(d[0]! * 10 + d[1]!, d[2]! * 10 + d[3]!);
}

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1], [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1], [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
export function verhoeff(d: readonly number[]): boolean {
  let c = 0;
  for (let i = 0; i < d.length; i++) c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![d[d.length - 1 - i]!]!]!;
  return c === 0;
}
export function inAadhaar(id: string): boolean {
  const d = digitsOf(id);
  return d.length === 12 && d[0]! >= 2 && verhoeff(d);
}

function mod11Pair(d: readonly number[], n: number): boolean {
  for (const len of [n, n + 1]) {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += d[i]! * (len + 1 - i);
    const r = (sum * 10) % 11 % 10;
    if (r !== d[len]) return false;
  }
  return true;
}
export function brCpf(id: string): boolean {
  const d = digitsOf(id);
  return d.length === 11 && !d.every((x) => x === d[0]) && mod11Pair(d, 9);
}
export function brCnpj(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 14 || d.every((x) => x === d[0])) return false;
  const check = (len: number) => {
    const w = len === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const r = weighted(d, w) % 11;
    return (r < 2 ? 0 : 11 - r) === d[len];
  };
  return check(12) && check(13);
}

export function caSin(id: string): boolean {
  const d = digitsOf(id);
  return d.length === 9 && d[0] !== 0 && d[0] !== 8 && luhn(d);
}

export function sgNric(id: string): boolean {
  const s = id.toUpperCase();
  const d = digitsOf(s.slice(1, 8));
  let sum = weighted(d, [2, 7, 6, 5, 4, 3, 2]);
  const p = s[0]!;
  if (p === 'T' || p === 'G') sum += 4;
  if (p === 'M') sum += 3;
  const r = sum % 11;
  const table = p === 'S' || p === 'T' ? 'JZIHGFEDCBA' : p === 'M' ? 'KLJNPQRTUWX' : 'XWUTRQPNMLK';
  return table[p === 'M' ? 10 - r : r] === s[8];
}

export function krRrn(id: string): boolean {
  const d = digitsOf(id);
  return d.length === 13 && validDate(d[4]! * 10 + d[5]!, d[2]! * 10 + d[3]!);
}

export function cnResidentId(id: string): boolean {
  const s = id.toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const d = digitsOf(s.slice(0, 17));
  if (!validDate(Number(s.slice(12, 14)), Number(s.slice(10, 12)))) return false;
  const sum = weighted(d, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]);
  return '10X98765432'[sum % 11] === s[17];
}

export function auTfn(id: string): boolean {
  const d = digitsOf(id);
  return d.length === 9 && weighted(d, [1, 4, 3, 7, 5, 8, 6, 9, 10]) % 11 === 0;
}

export function auMedicare(id: string): boolean {
  const d = digitsOf(id);
  if ((d.length !== 10 && d.length !== 11) || d[0]! < 2 || d[0]! > 6) return false;
  return weighted(d, [1, 3, 7, 9, 1, 3, 7, 9]) % 10 === d[8];
}

export function trTckn(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 11 || d[0] === 0) return false;
  const odd = d[0]! + d[2]! + d[4]! + d[6]! + d[8]!;
  const even = d[1]! + d[3]! + d[5]! + d[7]!;
  const c10 = (((odd * 7 - even) % 10) + 10) % 10;
  return c10 === d[9] && d.slice(0, 10).reduce((a, b) => a + b, 0) % 10 === d[10];
}

export function jpMyNumber(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 12) return false;
  let sum = 0;
  for (let n = 1; n <= 11; n++) sum += d[11 - n]! * (n <= 6 ? n + 1 : n - 5);
  const r = sum % 11;
  return (r <= 1 ? 0 : 11 - r) === d[11];
}

const CURP_CHARS = '0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ';
export function mxCurp(id: string): boolean {
  const s = id.toUpperCase();
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CURP_CHARS.indexOf(s[i]!) * (18 - i);
  return (10 - (sum % 10)) % 10 === Number(s[17]);
}

export function clRut(id: string): boolean {
  const s = clean(id);
  const body = digitsOf(s.slice(0, -1)).reverse();
  let sum = 0;
  for (const [i, x] of body.entries()) sum += x * ((i % 6) + 2);
  const r = 11 - (sum % 11);
  const check = r === 11 ? '0' : r === 10 ? 'K' : String(r);
  return check === s.slice(-1);
}

export function chAhv(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 13) return false;
  const sum = d.slice(0, 12).reduce((s, x, i) => s + x * (i % 2 === 0 ? 1 : 3), 0);
  return (10 - (sum % 10)) % 10 === d[12];
}

export function ilTeudatZehut(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 9) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const x = d[i]! * ((i % 2) + 1);
    sum += x > 9 ? x - 9 : x;
  }
  return sum % 10 === 0;
}

const ok = () => true;

// --- the table ----------------------------------------------------------------------------------

const D = (n: number) => `[0-9]{${n}}`;
const { CAP_PAIR, SIX, DOT, G333, G324, G444 } = {
  CAP_PAIR: ID_SHAPE_CAP_PAIR_DIGIT,
  SIX: ID_SHAPE_SIX_SEP_DIGIT,
  DOT: ID_SHAPE_DOT_DIGIT,
  G333: ID_SHAPE_GROUPS_333,
  G324: ID_SHAPE_GROUPS_324,
  G444: ID_SHAPE_GROUPS_444,
};
export const NATIONAL_ID_RULES: readonly NationalIdRule[] = [
  { type: 'uk_nino', country: 'GB', run: 2, upper: 3, pure: 2, shape: CAP_PAIR, pattern: '[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]', validate: (s) => !/^(?:BG|GB|NK|KN|TN|NT|ZZ)/.test(s.toUpperCase()), format: 'AB 12 34 56 C (prefix rules)', source: `${PRESIDIO} UkNinoRecognizer; HMRC` },
  { type: 'uk_nhs_number', country: 'GB', run: 10, upper: 0, pure: 3, pattern: `${D(3)}[ -]?${D(3)}[ -]?${D(4)}`, context: ['nhs'], validate: ukNhs, format: '10 digits, mod 11', source: `${PRESIDIO} NhsRecognizer` },
  { type: 'es_nif', country: 'ES', run: 8, upper: 1, pure: 8, pattern: `${D(8)}-?[A-HJ-NP-TV-Z]`, validate: esNif, format: '8 digits + check letter (mod 23)', source: `${PRESIDIO} EsNifRecognizer` },
  { type: 'es_nie', country: 'ES', run: 7, upper: 2, pure: 7, pattern: `[XYZ]-?${D(7)}-?[A-HJ-NP-TV-Z]`, validate: esNif, format: 'X/Y/Z + 7 digits + check letter', source: `${PRESIDIO} EsNieRecognizer` },
  { type: 'it_fiscal_code', country: 'IT', run: 0, upper: 9, pure: 0, pattern: '[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]', validate: itCodiceFiscale, format: '16 chars, check letter', source: `${PRESIDIO} ItFiscalCodeRecognizer` },
  { type: 'fr_nir', country: 'FR', run: 8, upper: 0, pure: 3, digits: 14, pattern: '[12] ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}', validate: frNir, format: '15 digits (sex, year, month, dept, …), key = 97 - n mod 97', source: 'INSEE NIR' },
  { type: 'de_tax_id', country: 'DE', run: 11, upper: 0, pure: 3, pattern: `[1-9][0-9]{10}|[1-9][0-9] ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}`, context: ['steuer', 'idnr', 'tax id', 'taxid', 'tax_id', 'identifikationsnummer', 'tin'], validate: deSteuerId, format: '11 digits, ISO 7064 mod 11,10', source: `${PRESIDIO} DeTaxIdRecognizer; BZSt` },
  { type: 'nl_bsn', country: 'NL', run: 9, upper: 0, pure: 4, pattern: `${D(9)}|${D(4)}\\.${D(2)}\\.${D(3)}`, context: ['bsn', 'burgerservicenummer', 'sofinummer'], validate: nlBsn, format: '9 digits, 11-proof', source: 'Rijksoverheid BSN' },
  { type: 'be_national_number', country: 'BE', run: 11, upper: 0, pure: 3, shape: DOT, groups: 5, pattern: `${D(2)}\\.${D(2)}\\.${D(2)}-${D(3)}\\.${D(2)}`, validate: beNationalNumber, format: 'YY.MM.DD-NNN.CC, 97 - n mod 97', source: 'BE Rijksregister' },
  { type: 'be_national_number', country: 'BE', run: 11, upper: 0, pure: 11, pattern: D(11), context: ['rijksregister', 'national number', 'numéro national', 'insz', 'niss'], validate: beNationalNumber, format: '11 digits', source: 'BE Rijksregister' },
  { type: 'pl_pesel', country: 'PL', run: 11, upper: 0, pure: 11, pattern: D(11), context: ['pesel'], validate: plPesel, format: '11 digits (date + weights 1-3-7-9)', source: `${PRESIDIO} PlPeselRecognizer` },
  { type: 'se_personnummer', country: 'SE', run: 6, upper: 0, pure: 6, shape: SIX, pattern: `(?:19|20)?${D(6)}[-+]${D(4)}`, validate: sePersonnummer, format: 'YYMMDD-NNNC, Luhn', source: 'Skatteverket' },
  { type: 'fi_hetu', country: 'FI', run: 6, upper: 0, pure: 6, shape: SIX, pattern: `${D(6)}[-+A-FU-Y]${D(3)}[0-9A-FHJ-NPR-Y]`, validate: fiHetu, format: 'DDMMYYCZZZQ, mod 31', source: `${PRESIDIO} FiPersonalIdentityCodeRecognizer` },
  { type: 'no_fodselsnummer', country: 'NO', run: 11, upper: 0, pure: 6, pattern: `${D(6)} ?${D(5)}`, context: ['fødselsnummer', 'fodselsnummer', 'personnummer', 'fnr', 'birth number'], validate: noFodselsnummer, format: 'DDMMYY + 5, two mod-11 checks', source: 'Skatteetaten' },
  { type: 'dk_cpr', country: 'DK', run: 10, upper: 0, pure: 6, shape: SIX, pattern: `${D(6)}-${D(4)}`, validate: dkCpr, format: 'DDMMYY-NNNN', source: 'CPR-kontoret' },
  { type: 'in_aadhaar', country: 'IN', run: 12, upper: 0, pure: 4, groups: 3, shape: G444, pattern: `[2-9][0-9]{3} [0-9]{4} [0-9]{4}|[2-9][0-9]{3}-[0-9]{4}-[0-9]{4}`, validate: inAadhaar, format: '12 digits in 4-4-4, Verhoeff', source: `${PRESIDIO} InAadhaarRecognizer; UIDAI` },
  { type: 'in_aadhaar', country: 'IN', run: 12, upper: 0, pure: 12, pattern: `[2-9][0-9]{11}`, context: ['aadhaar', 'aadhar', 'uidai'], validate: inAadhaar, format: '12 digits, Verhoeff', source: `${PRESIDIO} InAadhaarRecognizer` },
  { type: 'in_pan', country: 'IN', run: 4, upper: 6, pure: 4, pattern: '[A-Z]{3}[ABCFGHLJPT][A-Z][0-9]{4}[A-Z]', validate: ok, format: 'AAAPL1234C', source: `${PRESIDIO} InPanRecognizer` },
  { type: 'br_cpf', country: 'BR', run: 11, upper: 0, pure: 3, shape: DOT, groups: 4, pattern: `${D(3)}\\.${D(3)}\\.${D(3)}-${D(2)}`, validate: brCpf, format: 'NNN.NNN.NNN-DD, two mod-11 checks', source: 'Receita Federal' },
  { type: 'br_cpf', country: 'BR', run: 11, upper: 0, pure: 11, pattern: D(11), context: ['cpf'], validate: brCpf, format: '11 digits', source: 'Receita Federal' },
  { type: 'br_cnpj', country: 'BR', run: 6, upper: 0, pure: 4, shape: DOT, groups: 5, pattern: `${D(2)}\\.${D(3)}\\.${D(3)}/${D(4)}-${D(2)}`, validate: brCnpj, format: 'NN.NNN.NNN/NNNN-DD', source: 'Receita Federal' },
  { type: 'ca_sin', country: 'CA', run: 9, upper: 0, pure: 3, groups: 3, shape: G333, pattern: `${D(3)}[- ]${D(3)}[- ]${D(3)}`, validate: caSin, format: 'NNN-NNN-NNN, Luhn', source: 'Service Canada' },
  { type: 'ca_sin', country: 'CA', run: 9, upper: 0, pure: 9, pattern: D(9), context: ['sin', 'social insurance'], validate: caSin, format: '9 digits, Luhn', source: 'Service Canada' },
  { type: 'sg_nric', country: 'SG', run: 7, upper: 2, pure: 7, pattern: '[STFGM][0-9]{7}[A-Z]', validate: sgNric, format: 'S1234567D, weighted check letter', source: `${PRESIDIO} SgFinRecognizer` },
  { type: 'kr_rrn', country: 'KR', run: 13, upper: 0, pure: 6, shape: SIX, pattern: `${D(6)}-[1-8]${D(6)}`, validate: krRrn, format: 'YYMMDD-SNNNNNN', source: `${PRESIDIO} KrRrnRecognizer` },
  { type: 'cn_resident_id', country: 'CN', run: 17, upper: 0, pure: 17, pattern: '[1-9][0-9]{16}[0-9Xx]', validate: cnResidentId, format: '18 chars, ISO 7064 MOD 11-2', source: 'GB 11643-1999' },
  { type: 'au_tfn', country: 'AU', run: 9, upper: 0, pure: 3, pattern: `${D(3)} ?${D(3)} ?${D(3)}`, context: ['tfn', 'tax file'], validate: auTfn, format: '9 digits, weighted mod 11', source: `${PRESIDIO} AuTfnRecognizer` },
  { type: 'au_medicare', country: 'AU', run: 10, upper: 0, pure: 5, pattern: `[2-6][0-9]{3} ?[0-9]{5} ?[0-9]{1,2}`, context: ['medicare'], validate: auMedicare, format: '10-11 digits, weighted check', source: `${PRESIDIO} AuMedicareRecognizer` },
  { type: 'tr_tckn', country: 'TR', run: 11, upper: 0, pure: 11, pattern: D(11), context: ['tckn', 'kimlik', 'tc no', 'tc_no', 't.c.'], validate: trTckn, format: '11 digits, two checks', source: 'NVI' },
  { type: 'jp_my_number', country: 'JP', run: 12, upper: 0, pure: 4, pattern: `${D(4)} ?${D(4)} ?${D(4)}`, context: ['my number', 'mynumber', 'マイナンバー', 'kojin bango', 'individual number'], validate: jpMyNumber, format: '12 digits, check digit', source: 'Digital Agency (JP)' },
  { type: 'mx_curp', country: 'MX', run: 6, upper: 10, pure: 6, pattern: '[A-Z][AEIOUX][A-Z]{2}[0-9]{6}[HMX][A-Z]{5}[0-9A-Z][0-9]', validate: mxCurp, format: '18 chars, check digit', source: 'RENAPO' },
  { type: 'cl_rut', country: 'CL', run: 7, upper: 0, pure: 3, shape: DOT, groups: 3, pattern: '[0-9]{1,2}\\.[0-9]{3}\\.[0-9]{3}-[0-9Kk]', validate: clRut, format: 'NN.NNN.NNN-K, mod 11', source: 'SII' },
  { type: 'ch_ahv', country: 'CH', run: 13, upper: 0, pure: 4, pattern: '756\\.?[0-9]{4}\\.?[0-9]{4}\\.?[0-9]{2}', validate: chAhv, format: '756.NNNN.NNNN.NC, EAN-13', source: 'ZAS AHV' },
  { type: 'il_id', country: 'IL', run: 9, upper: 0, pure: 9, pattern: D(9), context: ['teudat', 'zehut', 'israeli id', 'ת.ז'], validate: ilTeudatZehut, format: '9 digits, Luhn-like', source: 'Israel Population Authority' },
  { type: 'us_itin', country: 'US', run: 9, upper: 0, pure: 4, groups: 3, shape: G324, pattern: '9[0-9]{2}-(?:5[0-9]|6[0-5]|7[0-9]|8[0-8]|9[0-24-9])-[0-9]{4}', validate: ok, format: '9NN-7N-NNNN', source: `${PRESIDIO} UsItinRecognizer` },
];

export const NATIONAL_ID_TYPES: readonly string[] = Object.freeze([...new Set(NATIONAL_ID_RULES.map((r) => r.type))]);

// --- the scanner ---------------------------------------------------------------------------------

interface CompiledId {
  readonly rule: NationalIdRule;
  readonly re: RegExp;
}

const COMPILED: readonly CompiledId[] = NATIONAL_ID_RULES.map((rule) => {
  const re = new RegExp(`(?<![A-Za-z0-9])(?:${rule.pattern})(?![A-Za-z0-9])`, 'g');
  re.exec('0'); // compiled at load, not during the first call
  re.lastIndex = 0;
  return { rule, re };
});
/** The rows' prefilter fields as typed arrays: the per-string loop over rows reads no object properties. */
const ROW_RUN = Int32Array.from(NATIONAL_ID_RULES, (r) => r.run);
const ROW_UPPER = Int32Array.from(NATIONAL_ID_RULES, (r) => r.upper);
const ROW_PURE = Int32Array.from(NATIONAL_ID_RULES, (r) => r.pure ?? 0);
const ROW_GROUPS = Int32Array.from(NATIONAL_ID_RULES, (r) => r.groups ?? 0);
const ROW_SHAPE = Int32Array.from(NATIONAL_ID_RULES, (r) => r.shape ?? 0);
const ROW_DIGITS = Int32Array.from(NATIONAL_ID_RULES, (r) => r.digits ?? 0);
/**
 * The row prefilter as bit sets: for each criterion, the rows a value lets through (rows whose
 * threshold is at most the value), so one AND of six look-ups replaces a loop over every row.
 * Values at or above a criterion's largest threshold let every row through. Bit r of word r >> 5.
 */
const ROWS = NATIONAL_ID_RULES.length;
const WORDS = (ROWS + 31) >> 5;
function thresholdMasks(thresholds: Int32Array): Int32Array[] {
  let max = 0;
  for (const t of thresholds) max = Math.max(max, t);
  const out: Int32Array[] = [];
  for (let v = 0; v <= max; v++) {
    const m = new Int32Array(WORDS);
    for (let r = 0; r < ROWS; r++) if (thresholds[r]! <= v) m[r >> 5] = m[r >> 5]! | (1 << (r & 31));
    out.push(m);
  }
  return out;
}
const MASK_RUN = thresholdMasks(ROW_RUN);
const MASK_UPPER = thresholdMasks(ROW_UPPER);
const MASK_PURE = thresholdMasks(ROW_PURE);
const MASK_GROUPS = thresholdMasks(ROW_GROUPS);
const MASK_DIGITS = thresholdMasks(ROW_DIGITS);
/** Rows whose shape bits are all in the index (ID_SHAPE_* are six bits). */
const MASK_SHAPE: Int32Array[] = Array.from({ length: 64 }, (_, shape) => {
  const m = new Int32Array(WORDS);
  for (let r = 0; r < ROWS; r++) if ((shape & ROW_SHAPE[r]!) === ROW_SHAPE[r]!) m[r >> 5] = m[r >> 5]! | (1 << (r & 31));
  return m;
});
const maskAt = (masks: readonly Int32Array[], v: number): Int32Array => masks[v < masks.length ? v : masks.length - 1]!;

/**
 * The rows rowMayMatch lets through for a gate, as bit sets (word w holds rows 32w…32w+31); written
 * into `out`. Test/fast-paths checks it against rowMayMatch.
 */
export function candidateRows(g: IdGate, out: Int32Array = new Int32Array(WORDS)): Int32Array {
  const run = maskAt(MASK_RUN, g.run);
  const upper = maskAt(MASK_UPPER, g.upper);
  const pure = maskAt(MASK_PURE, g.pure);
  const groups = maskAt(MASK_GROUPS, g.groups);
  const digits = maskAt(MASK_DIGITS, g.digits);
  const shape = MASK_SHAPE[g.shape & 63]!;
  for (let w = 0; w < WORDS; w++) out[w] = run[w]! & upper[w]! & pure[w]! & groups[w]! & digits[w]! & shape[w]!;
  return out;
}
const CANDIDATES = new Int32Array(WORDS);

/** The ASCII context words (the others are found through a non-ASCII check). */
export const ID_CONTEXT_WORDS: readonly string[] = [...new Set(NATIONAL_ID_RULES.flatMap((r) => r.context ?? []).filter((w) => /^[\x21-\x7e ]+$/.test(w)))];
const CONTEXT_INDEX = new KeywordIndex(ID_CONTEXT_WORDS);
/** Context words outside ASCII (`fødselsnummer`, `マイナンバー`) are not in the index: such text is searched word by word. */
const NON_ASCII_RE = /[\u0080-\uffff]/;
const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/** Is one of `words` in lower[from, to), standing as a word? */
function contextBefore(lower: string, from: number, to: number, words: readonly string[]): boolean {
  for (const w of words) {
    let at = lower.indexOf(w, from);
    while (at >= 0 && at + w.length <= to) {
      if ((at === 0 || !isLetter(lower.charCodeAt(at - 1))) && !isLetter(lower.charCodeAt(at + w.length))) return true;
      at = lower.indexOf(w, at + 1);
    }
  }
  return false;
}

/** What the row prefilter knows of a string (its features). */
export interface IdGate {
  /** Longest digit run allowing single separators (max of TextFeatures cardRun and idRun). */
  readonly run: number;
  readonly upper: number;
  /** Longest run of consecutive digits. */
  readonly pure: number;
  /** Most digit groups in one run. */
  readonly groups: number;
  /** Digits in the whole string. */
  readonly digits: number;
  /** ID_SHAPE_* bits seen. */
  readonly shape: number;
  /**
   * Whether a context word may occur (an ASCII one was found, or the text has non-ASCII code units),
   * when the caller's keyword pass already knows; undefined: scanNationalIds looks itself.
   */
  readonly context?: boolean;
}

/** What scanNationalIds checks when the gate does not say: an ASCII context word, or any non-ASCII code unit. */
export function mayHoldContextWord(text: string): boolean {
  return CONTEXT_INDEX.test(text) || NON_ASCII_RE.test(text);
}

/** An exhaustive gate: every row runs (the reference the prefilter is tested against). */
export const NO_ID_GATE: IdGate = { run: Number.MAX_SAFE_INTEGER, upper: Number.MAX_SAFE_INTEGER, pure: Number.MAX_SAFE_INTEGER, groups: Number.MAX_SAFE_INTEGER, digits: Number.MAX_SAFE_INTEGER, shape: -1 };

/** Can `rule` match a string with these features? False only when it cannot (tested against each row's pattern). */
export function rowMayMatch(rule: NationalIdRule, g: IdGate): boolean {
  if (rule.run > g.run || rule.upper > g.upper || (rule.pure ?? 0) > g.pure || (rule.groups ?? 0) > g.groups || (rule.digits ?? 0) > g.digits) return false;
  const shape = rule.shape ?? 0;
  return (g.shape & shape) === shape;
}

/**
 * Every national-id row over one string. Rows needing context run only when one of their words
 * occurs in the string at all; lettered rows only when the string has capitals.
 */
export function scanNationalIds(text: string, g: IdGate, emit: (start: number, end: number, type: string) => void): void {
  ctx.lower = null;
  ctx.anyContext = undefined;
  // rowMayMatch for every row at once (candidateRows), then the rows it lets through, in table order.
  const candidates = candidateRows(g, CANDIDATES);
  for (let w = 0; w < WORDS; w++) {
    for (let bits = candidates[w]!; bits !== 0; bits &= bits - 1) {
      const r = (w << 5) + 31 - Math.clz32(bits & -bits);
      scanRow(r, text, g, emit, ctx);
    }
  }
}

/** Context state shared by the rows of one scanNationalIds call. */
interface RowContext {
  lower: string | null;
  anyContext: boolean | undefined;
}
const ctx: RowContext = { lower: null, anyContext: undefined };

function scanRow(r: number, text: string, g: IdGate, emit: (start: number, end: number, type: string) => void, c: RowContext): void {
  const { rule, re } = COMPILED[r]!;
  if (rule.context !== undefined) {
    // One pass for all context words first: most strings hold none.
    c.anyContext ??= g.context ?? mayHoldContextWord(text);
    if (!c.anyContext) return;
    c.lower ??= text.toLowerCase();
    if (!contextBefore(c.lower, 0, c.lower.length, rule.context)) return;
  }
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const id = m[0];
    if (!rule.validate(id)) continue;
    if (rule.context !== undefined && !contextBefore(c.lower!, Math.max(0, m.index - CONTEXT_WINDOW), m.index, rule.context)) continue;
    emit(m.index, m.index + id.length, rule.type);
  }
}
