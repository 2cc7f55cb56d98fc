// Inputs for the redaction benchmark: typical tool arguments of three sizes (with a few
// secrets), a mixed corpus, and adversarial inputs built against each rule family.
// Every secret here is a fabricated test value in the right format.

const FAKE = {
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  aws: 'AKIAIOSFODNN7EXAMPLE',
  github: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  email: 'jane.doe@example.com',
  card: '4111 1111 1111 1111',
  pg: 'postgres://app:s3cr3t-Passw0rd@db.internal:5432/orders',
};

/** ~0.2 KB: a search with one email. */
export function args200() {
  return { query: 'open tickets for customer', customer: { email: FAKE.email, tier: 'gold' }, limit: 20, includeClosed: false };
}

/** ~1 KB: a nested request with an API key, a bearer header and a card number among ordinary fields. */
export function args1k() {
  return {
    orderId: 'ORD-2026-004217',
    customer: { id: 'c_82731', name: 'Jane Doe', email: FAKE.email, phone: '+44 20 7946 0958', address: { street: '221B Baker Street', city: 'London', postcode: 'NW1 6XE', country: 'GB' } },
    items: [
      { sku: 'SKU-1001', title: 'USB-C cable 2 m', qty: 2, price: 9.99 },
      { sku: 'SKU-2044', title: 'Laptop stand, aluminium', qty: 1, price: 39.5 },
      { sku: 'SKU-3310', title: 'Wireless mouse', qty: 1, price: 24 },
    ],
    payment: { method: 'card', cardNumber: FAKE.card, currency: 'GBP' },
    http: { headers: { 'content-type': 'application/json', authorization: `Bearer ${FAKE.jwt}` } },
    apiKey: FAKE.github,
    note: 'Customer asked to deliver after 5pm; gate code is in the CRM, do not repeat it here.',
    createdAt: '2026-11-21T14:03:07.120Z',
  };
}

/** ~10 KB: a report request with nested rows, free text, a connection string and an AWS key in prose. */
export function args10k() {
  const rows = [];
  for (let i = 0; i < 75; i++) {
    rows.push({ id: `row-${i}`, region: ['eu-west-1', 'us-east-1', 'ap-south-1'][i % 3], metric: 'latency_p99_ms', value: 100 + ((i * 37) % 400), tags: ['prod', `shard-${i % 8}`], owner: i === 7 ? FAKE.email : `team-${i % 5}` });
  }
  return {
    report: 'weekly-slo',
    datasource: { dsn: FAKE.pg, timeoutMs: 5000 },
    filters: { from: '2026-11-14', to: '2026-11-21', services: ['checkout', 'search', 'payments', 'inventory'] },
    rows,
    commentary: `Latency regressed on shard-3 after the deploy; rollback used key ${FAKE.aws} by mistake. `.repeat(8),
    options: { format: 'markdown', includeCharts: true, maxRows: 500 },
  };
}

/** A mixed corpus: many small and medium argument objects and a few large ones. */
export function mixedCorpus() {
  const corpus = [];
  for (let i = 0; i < 400; i++) {
    if (i % 20 === 0) corpus.push(args10k());
    else if (i % 3 === 0) corpus.push(args1k());
    else corpus.push(args200());
  }
  return corpus;
}

const MB = 1024 * 1024;
const fill = (unit) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

/**
 * 1 MB strings aimed at each rule family's regular expressions: long runs that almost match,
 * so a backtracking pattern would try every start and every split.
 */
export function adversarialStrings() {
  return {
    'pem: BEGIN lines, no END': fill('-----BEGIN RSA PRIVATE KEY-----\nMIIEow'),
    'jwt: eyJ segments, no third part': `eyJ${'a'.repeat(MB / 2)}.${'b'.repeat(MB / 2 - 10)}`,
    'jwt: many eyJ.x. prefixes': fill('eyJa.eyJb.'),
    'github/slack/stripe prefixes': fill('ghp_xoxb-sk_live_'),
    'openai: sk- with dashes': `sk-${fill('a-').slice(3)}`,
    'aws: AKIA + 15 chars repeated': fill('AKIAIOSFODNN7EXAMPL '),
    'aws secret assignment, long value': `aws_secret_access_key=${'A'.repeat(MB - 22)}`,
    'url_password: scheme://user: without @': fill('postgres://user:pass'),
    'url_password: one scheme, colons': `https://${fill('a:').slice(8)}`,
    'bearer: Bearer + 1 MB token': `Bearer ${'A'.repeat(MB - 7)}`,
    'basic_auth: Basic + base64 run': `Basic ${'QUFB'.repeat(MB / 4 - 2)}`,
    'key=value: password= repeated': fill('password='),
    'key=value: "token":" unterminated': `{"token":"${'x'.repeat(MB - 12)}`,
    'key=value: escaped JSON keys': fill('\\"secret\\":\\"'),
    'card: 1 MB of digits': '4'.repeat(MB),
    'card: digit groups with spaces': fill('4111 '),
    'ssn-like: ddd-dd- runs': fill('123-45-'),
    'iban: country code + digits': `DE${'1'.repeat(MB - 2)}`,
    'phone: +1 and separators': fill('+1 (415) 555-'),
    'phone: digit-dash runs': fill('1-'),
    'email: local part, no @': 'a.'.repeat(MB / 2),
    'email: @ then dotted labels, no TLD end': `a@${'a.'.repeat(MB / 2 - 2)}`,
    'email: many @': fill('a@b'),
    'whitespace: 1 MB of spaces': ' '.repeat(MB),
    'high entropy-ish base64 run': fill('Zm9vYmFyQmF6MTIz'),
    'unicode: mixed scripts': fill('пароль=秘密 '),
    // Rule table and structural rules (issue 11): every keyword of the prefilter firing, near misses.
    'provider keywords: token prefixes, no body': fill('glpat-npm_hvs.SG.dapi shpat_xoxb-AKCp '),
    'provider keywords: name = short value': fill('DATADOG_API_KEY=x '),
    'provider keywords: discord id prefixes': fill('MTA.MjE.NTk.'),
    'national ids: 11-digit runs after PESEL': `PESEL ${fill('44051401358 ')}`,
    'national ids: dotted digit groups': fill('123.456.789-0 '),
    'national ids: capitals and digits': fill('RSSMRA85T10A562 '),
    'base64 user:pass candidates': fill('YWRtaW46aHVudGVy '),
    'generic secret: key = random, repeated': fill('api_key=Zx9Qw2Er7Ty4Ui1Op '),
    'authorization: scheme word chains': fill('Authorization: SSWS '),
    'percent-encoded UTF-8': fill('%C3%B8%E2%82%AC'),
    'full-width digits': fill('４１１１ '),
    'jwk: kty and short keys': fill('{"kty":"EC","d":"'),
  };
}

/** Structures that stress the walker rather than the patterns. */
export function adversarialStructures() {
  let deep = { leaf: FAKE.email };
  for (let i = 0; i < 10_000; i++) deep = { nested: deep };
  let deepArray = [FAKE.jwt];
  for (let i = 0; i < 10_000; i++) deepArray = [deepArray];
  const numbers = Array.from({ length: 1_000_000 }, (_, i) => i);
  const strings = Array.from({ length: 200_000 }, (_, i) => `value-${i}@example.com`);
  const objects = Array.from({ length: 100_000 }, (_, i) => ({ id: i, password: 'x', note: 'ok' }));
  const wideObject = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`field_${i}`, i % 10 === 0 ? FAKE.aws : 'v']));
  const longKeys = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`x-header-name-${i}-ghp_${i}`, 'v']));
  const splitItems = Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? 'ghp_16C7e42F292c' : `6912E7710c838347Ae178B4a${i}`));
  return {
    '10,000-deep object': deep,
    '10,000-deep array': deepArray,
    'array of 1,000,000 numbers': numbers,
    'array of 200,000 emails': strings,
    'array of 100,000 objects with password keys': objects,
    'object with 100,000 keys': wideObject,
    'object with 20,000 long keys (names scanned)': longKeys,
    'array of 100,000 token halves (split-secret join)': splitItems,
  };
}
