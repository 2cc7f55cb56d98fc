import type { OtlpFormat } from '../otlp/decode';
import { ReceiverError } from './errors';

const MEDIA_TYPES: Record<string, OtlpFormat> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

/** Content-Type → OTLP format; parameters such as `charset=utf-8` are allowed. Anything else is a 415 naming the type. */
export function parseContentType(header: string | undefined): OtlpFormat {
  if (header === undefined || header.trim() === '') {
    throw new ReceiverError(
      'MCPTRAIL_OTLP_UNSUPPORTED_MEDIA_TYPE',
      'missing Content-Type; use application/x-protobuf or application/json',
    );
  }
  const media = (header.split(';')[0] as string).trim().toLowerCase();
  const format = MEDIA_TYPES[media];
  if (format) return format;
  throw new ReceiverError(
    'MCPTRAIL_OTLP_UNSUPPORTED_MEDIA_TYPE',
    `unsupported Content-Type ${JSON.stringify(media.slice(0, 64))}; use application/x-protobuf or application/json`,
  );
}

/** The format to answer in when the request's own type is unusable: JSON, readable by people and tools. */
export function responseFormatFor(header: string | undefined): OtlpFormat {
  try {
    return parseContentType(header);
  } catch {
    return 'json';
  }
}
