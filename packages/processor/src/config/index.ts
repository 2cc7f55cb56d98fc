export { ConfigError, CONFIG_ERROR_CODES, type ConfigErrorCode } from './errors';
export { configKeys, processorConfigSchema, type ConfigKeyDoc, type ProcessorConfig, type ProcessorConfigInput } from './schema';
export { CONFIG_FILE_ENV, loadConfig, SETTING_SOURCES, type ConfigSources, type SettingSource } from './sources';
