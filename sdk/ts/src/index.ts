// Backstop's TypeScript SDK. `./generated` is rendered by Codama from the program's IDL (scripts/generate.ts):
// every instruction's builder, every account's and type's codec, the error codes and the program address. Beside
// it, by hand: the PDAs, the account reader, the health and liquidation-price math, errors and events by name.
export * from './generated';
export * from './accounts';
export * from './errors';
export * from './events';
export * from './health';
export * from './pda';
export * from './trade';
export { EVENTS, type BackstopEvent } from './generated/events';
export * as constants from './generated/constants';
