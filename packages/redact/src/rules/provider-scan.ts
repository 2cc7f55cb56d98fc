/**
 * Runs the provider table behind its prefilter: one Aho–Corasick pass finds the keywords in a
 * string, and each rule is tried only where one of its keywords stands (a sticky regex at the
 * offsets its `lead` allows, or the assignment after a provider name). No rule scans a string
 * on its own, so the cost is one pass plus a bounded amount of work per keyword hit.
 */
import { shannonEntropy } from '../checksums';
import { type Emit, type Features, type TextFeatures, type ValueRule, textFeaturesAndKeywords } from '../value-rules';
import { LIT_ID_CONTEXT, TRIGGER_LITERALS } from '../trigger-literals';
import { ID_CONTEXT_WORDS } from './national-ids';
import { KeywordIndex } from './keyword-index';
import { PROVIDER_RULES, PROVIDER_RULE_TYPES, type ProviderRule } from './provider-rules';

interface CompiledRule {
  readonly rule: ProviderRule;
  readonly index: number;
  readonly re: RegExp;
}

/** Word characters a token may not be glued to on its left. */
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Characters a secret value is made of (the emitted span is widened over them). */
const isTokenChar = (c: number) => isAlnum(c) || c === 95 || c === 45 || c === 46 || c === 43 || c === 47 || c === 61 || c === 126 || c === 37;
/** Name characters between a provider keyword and its assignment (`DATADOG_API_KEY`). */
const isNameChar = (c: number) => isAlnum(c) || c === 95 || c === 45 || c === 46;
const isQuoteOrSpace = (c: number) => c === 32 || c === 9 || c === 34 || c === 39 || c === 96 || c === 92;
const isOperator = (c: number) => c === 61 || c === 58 || c === 62 || c === 124 || c === 63 || c === 44;

/** Values that are placeholders, not secrets (gitleaks' global allow list, in spirit). */
const PLACEHOLDER_RE = /^(?:(.)\1+|x{6,}|\*+|<[^>]*>?|\$\{?[A-Za-z_]+\}?|\{\{.*|changeme|example|redacted|null|none|true|false)$/i;

const MAX_NAME_TAIL = 24;
const MIN_TOKEN_TEXT = 16;
const MAX_CANDIDATES = 4096;

export class ProviderScanner {
  private readonly index: KeywordIndex;
  /** Rules by keyword index. */
  private readonly byKeyword: CompiledRule[][];
  private readonly rules: CompiledRule[];
  // Scratch state for one scan (the scanner is synchronous and not re-entrant).
  private readonly found: number[] = [];
  /** Keyword hits of one scan: (keyword, end) pairs; a string with more is scanned for the first ones only. */
  private readonly hits = new Int32Array(2 * MAX_CANDIDATES);
  /** The text the hits are of (the last literals() call), and how many there are. */
  private hitsOf: string | null = null;
  private hitCount = 0;

  constructor(rules: readonly ProviderRule[], disabled: ReadonlySet<string>) {
    const keywords: string[] = [];
    const keywordIds = new Map<string, number>();
    this.byKeyword = [];
    this.rules = [];
    rules.forEach((rule, index) => {
      if (disabled.has(rule.type)) return;
      const flags = `y${rule.flags ?? ''}`;
      const compiled: CompiledRule = { rule, index, re: new RegExp(rule.pattern, flags) };
      // V8 compiles a regex on its first exec: do it here, once, not inside the first call's budget.
      compiled.re.exec(rule.keywords[0] ?? '');
      compiled.re.lastIndex = 0;
      this.rules.push(compiled);
      for (const kw of rule.keywords) {
        let id = keywordIds.get(kw);
        if (id === undefined) {
          id = keywords.length;
          keywords.push(kw);
          keywordIds.set(kw, id);
          this.byKeyword.push([]);
        }
        this.byKeyword[id]!.push(compiled);
      }
    });
    this.index = new KeywordIndex(keywords, [...TRIGGER_LITERALS, ...ID_CONTEXT_WORDS.map((w) => [w, LIT_ID_CONTEXT] as const)]);
  }

  /**
   * One keyword pass over `text`: keeps the provider keyword hits for scan() and returns the
   * trigger literal bits (trigger-literals.ts) the text redactor gates on.
   */
  literals(text: string): number {
    this.hitCount = this.index.scan(text, this.hits);
    this.hitsOf = text;
    return this.index.flags;
  }

  /**
   * The text's features and the keyword pass in one pass (textFeaturesAndKeywords): the hits are kept
   * for scan() as literals() keeps them, the flag bits go to `out.keywordBits`.
   */
  features(text: string, out: Features): TextFeatures {
    this.hitCount = textFeaturesAndKeywords(text, out, this.index, this.hits);
    this.hitsOf = text;
    return out;
  }

  get size(): number {
    return this.rules.length;
  }

  /**
   * Finds provider secrets in `text` and reports them through `emit`, higher table rows first
   * where two overlap (the caller keeps the first of overlapping hits).
   */
  scan(text: string, emit: Emit): void {
    const found = this.found;
    if (found.length !== 0) found.length = 0;
    const { byKeyword, hits } = this;
    // The text redactor's literals() pass usually ran on this very string just before.
    const n = this.hitsOf === text ? this.hitCount : this.index.scan(text, hits);
    this.hitsOf = null;
    if (n === 0) return;
    const { keywords } = this.index;
    for (let h = 0; h < n && found.length < MAX_CANDIDATES * 3; h++) {
      const kw = hits[2 * h]!;
      const end = hits[2 * h + 1]!;
      const start = end - keywords[kw]!.length;
      for (const c of byKeyword[kw]!) {
        if (c.rule.kind === 'token') this.tryToken(c, text, start, found);
        else this.tryAssigned(c, text, end, found);
      }
    }
    if (found.length === 0) return;
    // [start, end, ruleIndex] triples; emit in table order so earlier rows win overlaps.
    const order: number[] = [];
    for (let i = 0; i < found.length; i += 3) order.push(i);
    order.sort((a, b) => found[a + 2]! - found[b + 2]! || found[a]! - found[b]!);
    for (const i of order) emit(found[i]!, found[i + 1]!, PROVIDER_RULES[found[i + 2]!]!.type);
    found.length = 0;
  }

  private tryToken(c: CompiledRule, text: string, kwStart: number, found: number[]): void {
    const [minLead, maxLead] = c.rule.lead ?? [0, 0];
    for (let lead = maxLead; lead >= minLead; lead--) {
      const at = kwStart - lead;
      if (at < 0) continue;
      if (at > 0 && isAlnum(text.charCodeAt(at - 1)) && isAlnum(text.charCodeAt(at))) continue;
      c.re.lastIndex = at;
      const m = c.re.exec(text);
      if (m === null) continue;
      const value = m[0];
      if (!this.accept(c.rule, value)) continue;
      let end = at + value.length;
      while (end < text.length && isAlnum(text.charCodeAt(end))) end++; // a longer token is still the secret
      found.push(at, end, c.index);
      return;
    }
  }

  private tryAssigned(c: CompiledRule, text: string, kwEnd: number, found: number[]): void {
    const n = text.length;
    let i = kwEnd;
    const nameStop = Math.min(n, kwEnd + MAX_NAME_TAIL);
    while (i < nameStop && isNameChar(text.charCodeAt(i))) i++;
    let q = 0;
    while (i < n && q < 4 && isQuoteOrSpace(text.charCodeAt(i))) {
      i++;
      q++;
    }
    let ops = 0;
    while (i < n && ops < 3 && isOperator(text.charCodeAt(i))) {
      i++;
      ops++;
    }
    if (ops === 0) return;
    let s = 0;
    while (i < n && s < 6 && (isQuoteOrSpace(text.charCodeAt(i)) || text.charCodeAt(i) === 61)) {
      i++;
      s++;
    }
    c.re.lastIndex = i;
    const m = c.re.exec(text);
    if (m === null) return;
    let end = i + m[0].length;
    while (end < n && isTokenChar(text.charCodeAt(end))) end++; // a longer value is still the secret
    const value = text.slice(i, end);
    if (!this.accept(c.rule, value)) return;
    found.push(i, end, c.index);
  }

  private accept(rule: ProviderRule, value: string): boolean {
    if (PLACEHOLDER_RE.test(value)) return false;
    if (rule.validate !== undefined && !rule.validate(value)) return false;
    if (rule.entropy !== undefined && shannonEntropy(value) < rule.entropy) return false;
    return true;
  }
}

/** The provider table as a value rule, with the keyword pass the text redactor's gates share. */
export interface ProviderValueRule extends ValueRule {
  /** Runs the keyword pass over `text` (kept for a scan of the same string) and returns its trigger literal bits. */
  literals(text: string): number;
  /** textFeatures with the keyword pass in the same pass (its bits in `out.keywordBits`, its hits kept for a scan). */
  features(text: string, out: Features): TextFeatures;
}

/** The provider table as one value rule (its types are every row's type). */
export function providerRule(disabled: ReadonlySet<string>): ProviderValueRule {
  const scanner = new ProviderScanner(PROVIDER_RULES, disabled);
  return {
    literals: (text: string) => scanner.literals(text),
    features: (text: string, out: Features) => scanner.features(text, out),
    types: PROVIDER_RULE_TYPES,
    // No provider format is shorter than 16 characters; the text redactor gates plain prose (its `provider` condition).
    applies: (f) => f.length >= MIN_TOKEN_TEXT,
    scan(text: string, emit: Emit) {
      scanner.scan(text, emit);
    },
  };
}
