/** Public configuration and result types of @mcptrail/processor. */
export type { ConfigKeyDoc, ProcessorConfig, ProcessorConfigInput } from './config/schema';
export type { ConfigSources, SettingSource } from './config/sources';
export type { ProcessorDeps, RunningProcessor } from './service';
export type { Alert, AlertLevel, AlertQuery, BaselineQuery, BaselineView, Detector, Rule, RuleSet } from './detect/types';
export type { AuditQuery, AuditStore, Checkpoint, TrailStore } from './store/types';
export type { SqliteAuditStore } from './store/sqlite';
export type { PostgresAuditStore, PostgresStoreOptions } from './store/postgres';
export type { AuditPipeline } from './audit/pipeline';
export type { ChainReport, VerifyProblem, VerifyReport } from './chain/verify';
export type { CheckpointSigner } from './chain/signing';
export type { DecodedLogs, DecodedTraces, IngestResult, IngestSink, OtlpLogRecord, OtlpSpan } from './otlp/types';
export type { Logger, LoggerOptions, LogLevel } from './logger';
export type { Sink, SinkStats } from './sinks/types';
