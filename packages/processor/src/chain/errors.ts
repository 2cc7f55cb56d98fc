import { CodedError } from '../coded-error';

/** Error codes of the hash chain, signing keys, witnesses and verification. Codes are never reused. */
export const CHAIN_ERROR_CODES = {
  MCPTRAIL_ERR_SIGNING_KEY_INVALID: 'the signing key file is not an Ed25519 private key in PEM form',
  MCPTRAIL_ERR_SIGNING_KEY_IO: 'the signing key file could not be read or created',
  MCPTRAIL_ERR_SIGNING_KEY_MODE: 'the signing key file is accessible to group or others (it must be 0600)',
  MCPTRAIL_ERR_SIGNER_COMMAND: 'the external signer command failed or printed no valid signature',
  MCPTRAIL_ERR_VERIFY_KEY_INVALID: 'the public key given to verify is not an Ed25519 public key',
  MCPTRAIL_ERR_WITNESS_IO: 'the witness file could not be read or written',
  MCPTRAIL_ERR_WITNESS_INVALID: 'the witness file holds something that is not a checkpoint note',
  MCPTRAIL_ERR_PROOF_RANGE: 'no proof exists for the requested record or tree sizes',
} as const;

export type ChainErrorCode = keyof typeof CHAIN_ERROR_CODES;

export class ChainError extends CodedError<ChainErrorCode> {}
