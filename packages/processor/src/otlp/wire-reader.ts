import { OtlpDecodeError } from './errors';
import { StringTable } from './string-table';

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/). */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

const TWO_32 = 4294967296;

/** One table per process: the same keys recur across requests. Decoding is synchronous, so sharing is safe. */
const sharedStrings = new StringTable();

/**
 * A minimal protobuf wire reader over one Buffer. The OTLP decoders walk messages
 * field by field with it instead of materialising protobufjs message objects: no Long,
 * no intermediate objects, and errors that name the byte offset.
 */
export class WireReader {
  pos: number;
  /** Low and high 32 bits of the last varint read. */
  private lo = 0;
  private hi = 0;

  constructor(
    readonly buf: Buffer,
    pos = 0,
    private readonly strings: StringTable = sharedStrings,
  ) {
    this.pos = pos;
  }

  /** Reads a tag; returns field number * 8 + wire type like the wire does. */
  tag(end: number): number {
    const t = this.uint32(end);
    if (t >>> 3 === 0) throw this.fail(`invalid field number 0`, this.pos - 1);
    return t;
  }

  uint32(end: number): number {
    this.varint(end);
    return this.lo;
  }

  int32(end: number): number {
    this.varint(end);
    return this.lo | 0;
  }

  /** int64 as a number when it fits in a safe integer, else a bigint. */
  int64(end: number): number | bigint {
    this.varint(end);
    const n = (this.hi | 0) * TWO_32 + this.lo;
    if (Number.isSafeInteger(n)) return n;
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  bool(end: number): boolean {
    this.varint(end);
    return this.lo !== 0 || this.hi !== 0;
  }

  fixed32(end: number): number {
    this.need(4, end);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  fixed64(end: number): bigint {
    this.need(8, end);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  double(end: number): number {
    this.need(8, end);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix and returns the end offset of the field's bytes (the reader stays at their start). */
  len(end: number): number {
    const at = this.pos;
    const n = this.uint32(end);
    if (n > end - this.pos) throw this.fail(`length ${n} runs past the end of the message`, at);
    return this.pos + n;
  }

  string(end: number): string {
    const e = this.len(end);
    const s = this.buf.toString('utf8', this.pos, e);
    this.pos = e;
    return s;
  }

  /**
   * A string that names something (attribute key, scope name) rather than carrying data:
   * interned, because the same names recur in every item. Values are never interned, so no
   * attribute value outlives its request in the table.
   */
  name(end: number): string {
    const e = this.len(end);
    const s = this.strings.decode(this.buf, this.pos, e);
    this.pos = e;
    return s;
  }

  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WIRE.VARINT:
        this.varint(end);
        return;
      case WIRE.I64:
        this.need(8, end);
        this.pos += 8;
        return;
      case WIRE.LEN:
        this.pos = this.len(end);
        return;
      case WIRE.I32:
        this.need(4, end);
        this.pos += 4;
        return;
      default:
        throw this.fail(`unsupported wire type ${wireType}`, this.pos - 1);
    }
  }

  /** Checks the wire type of a known field; a mismatch means the body is not the message we expect. */
  expect(wireType: number, expected: number, field: string): void {
    if (wireType !== expected) throw this.fail(`field ${field} has wire type ${wireType}, expected ${expected}`, this.pos - 1);
  }

  fail(problem: string, offset = this.pos): OtlpDecodeError {
    return new OtlpDecodeError(`invalid protobuf: ${problem} at offset ${offset}`);
  }

  private need(n: number, end: number): void {
    if (end - this.pos < n) throw this.fail('index out of range', this.pos);
  }

  private varint(end: number): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let i = 0; i < 4; i++) {
      if (pos >= end) throw this.fail('index out of range', pos);
      b = buf[pos++] as number;
      lo |= (b & 0x7f) << (7 * i);
      if (b < 0x80) {
        this.setVarint(pos, lo, 0);
        return;
      }
    }
    if (pos >= end) throw this.fail('index out of range', pos);
    b = buf[pos++] as number;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) {
        this.setVarint(pos, lo, hi);
        return;
      }
    for (let i = 0; i < 5; i++) {
      if (pos >= end) throw this.fail('index out of range', pos);
      b = buf[pos++] as number;
      hi |= (b & 0x7f) << (7 * i + 3);
      if (b < 0x80) {
        this.setVarint(pos, lo, hi);
        return;
      }
    }
    throw this.fail('varint longer than 10 bytes', this.pos);
  }

  private setVarint(pos: number, lo: number, hi: number): void {
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }
}
