export { type AlertState, type AlertStateBook, createAlertStateBook } from './alert-state';
export { CONSOLE_PUBLIC_PATHS } from './assets';
export { CONSOLE_CSP, type ConsoleHandler, type ConsoleOptions, createConsoleHandler } from './routes';
