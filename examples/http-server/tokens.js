'use strict';
/**
 * Demo bearer tokens → OAuth-style client ids and scopes. A real server would validate a JWT or
 * introspect the token with its authorization server; the audit trail only ever sees the client
 * id and scopes (`enduser.id`, `enduser.scope`), never the token.
 */
const TOKENS = Object.freeze({
  'mcpt_demo_7Kq2vX9pLm4RtY8wZs3N': { clientId: 'support-agent', scopes: ['files:read', 'reports:run', 'email:send'] },
  'mcpt_demo_Hc5Jd8Fb2Wn6Pq1Vx4Ge': { clientId: 'intern-bot', scopes: ['files:read'] },
});

/** Exported for the demo agent and the tests; never logged. */
const DEMO_TOKENS = Object.freeze({
  supportAgent: 'mcpt_demo_7Kq2vX9pLm4RtY8wZs3N',
  internBot: 'mcpt_demo_Hc5Jd8Fb2Wn6Pq1Vx4Ge',
});

function clientForToken(token) {
  return Object.hasOwn(TOKENS, token) ? TOKENS[token] : undefined;
}

module.exports = { DEMO_TOKENS, clientForToken };
