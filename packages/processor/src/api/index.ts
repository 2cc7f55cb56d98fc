export { API_ERRORS, ApiError, type ApiErrorCode } from './errors';
export { parseAlertQuery, parseAuditQuery, parseBaselineQuery, parseTimeBound, rejectUnknown, AUDIT_PARAMS, ALERT_PARAMS, BASELINE_PARAMS } from './filters';
export { createApiHandler, type ApiHandler, type ApiOptions } from './routes';
