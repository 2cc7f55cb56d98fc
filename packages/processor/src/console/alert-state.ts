/**
 * Acknowledge/resolve state of alerts, kept by the processor beside the detector's alerts
 * (the same SQLite state database). It is alert state, never a trail edit: the audit
 * records and their hash chain are not touched. Append-only: every change is a row, the
 * latest row per alert is its state, so who-did-what stays visible.
 */
import type { Database, Statement } from 'better-sqlite3';

export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface AlertStateEntry {
  state: AlertState;
  /** ISO 8601 UTC: when the state was set. */
  time: string;
  /** Free text from the analyst (bounded, rendered as text). */
  note: string | null;
}

export const MAX_NOTE_CHARS = 500;

export interface AlertStateBook {
  set(alertId: string, state: AlertState, note: string | null, now: number): AlertStateEntry;
  /** Latest state of each of `alertIds` (absent: never changed, i.e. open). */
  states(alertIds: readonly string[]): Map<string, AlertStateEntry>;
  history(alertId: string): AlertStateEntry[];
}

export function createAlertStateBook(db: Database): AlertStateBook {
  db.exec(`CREATE TABLE IF NOT EXISTS console_alert_states (
    id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, state TEXT NOT NULL, time TEXT NOT NULL, note TEXT)`);
  db.exec('CREATE INDEX IF NOT EXISTS console_alert_states_by_alert ON console_alert_states (alert_id, id)');
  const insert: Statement = db.prepare('INSERT INTO console_alert_states (alert_id, state, time, note) VALUES (?, ?, ?, ?)');
  const latest: Statement = db.prepare(
    `SELECT s.alert_id, s.state, s.time, s.note FROM console_alert_states s
     WHERE s.alert_id IN (SELECT value FROM json_each(?))
       AND s.id = (SELECT max(id) FROM console_alert_states t WHERE t.alert_id = s.alert_id)`,
  );
  const all: Statement = db.prepare('SELECT state, time, note FROM console_alert_states WHERE alert_id = ? ORDER BY id');
  return {
    set(alertId, state, note, now) {
      const entry: AlertStateEntry = { state, time: new Date(now).toISOString(), note };
      insert.run(alertId, state, entry.time, note);
      return entry;
    },
    states(alertIds) {
      const out = new Map<string, AlertStateEntry>();
      if (alertIds.length === 0) return out;
      for (const r of latest.all(JSON.stringify(alertIds)) as Array<AlertStateEntry & { alert_id: string }>) {
        out.set(r.alert_id, { state: r.state, time: r.time, note: r.note });
      }
      return out;
    },
    history(alertId) {
      return all.all(alertId) as AlertStateEntry[];
    },
  };
}
