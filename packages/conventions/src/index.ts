export * from './attributes';
export * from './events';
export * from './metrics';
export * from './audit-record';
export { canonicalJson } from './canonical-json';
