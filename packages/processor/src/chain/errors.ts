import { CodedError } from '../coded-error';

/** Error codes of the hash chain, signing keys and verification. Codes are never reused. */
export const CHAIN_ERROR_CODES = {
  MCPTRAIL_ERR_SIGNING_KEY_INVALID: 'the signing key file is not an Ed25519 private key in PEM form',
  MCPTRAIL_ERR_SIGNING_KEY_IO: 'the signing key file could not be read or created',
  MCPTRAIL_ERR_VERIFY_KEY_INVALID: 'the public key given to verify is not an Ed25519 public key',
} as const;

export type ChainErrorCode = keyof typeof CHAIN_ERROR_CODES;

export class ChainError extends CodedError<ChainErrorCode> {}
