/**
 * The alert history of a chain: every raise, acknowledgement and resolution of an alert is
 * an event hash-chained like the records (hash = SHA-256(prev_hash ‖ canonical body)), and
 * each checkpoint signs the head of this chain, so deleting or editing an alert's history
 * is caught by `mcptrail verify`.
 */
import { canonicalJson } from '@mcptrail/conventions';
import { chainHash } from './hash';
import type { AlertEvent, AlertEventInput, ChainHead } from '../store/types';

export const ALERT_EVENT_KINDS = ['raised', 'acknowledged', 'resolved'] as const;

export interface SealedAlertEvent {
  event: AlertEvent;
  body: string;
}

export function sealAlertEvent(input: AlertEventInput, chainId: string, head: ChainHead): SealedAlertEvent {
  if (!(ALERT_EVENT_KINDS as readonly string[]).includes(input.event)) {
    throw new TypeError(`alert event must be one of ${ALERT_EVENT_KINDS.join(', ')}, got ${JSON.stringify(input.event)}`);
  }
  const unsealed = {
    chain_id: chainId,
    seq: head.seq + 1,
    prev_hash: head.hash,
    event: input.event,
    alert_id: input.alert_id,
    rule_id: input.rule_id,
    time: input.time,
    level: input.level ?? null,
    actor: input.actor ?? null,
    summary: input.summary ?? null,
    evidence: input.evidence ?? [],
  };
  const body = canonicalJson(unsealed);
  return { event: { ...unsealed, hash: chainHash(head.hash, body) }, body };
}
