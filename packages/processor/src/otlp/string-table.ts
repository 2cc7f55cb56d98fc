/**
 * Interns short UTF-8 strings decoded from protobuf. OTLP repeats the same attribute keys
 * and many values (`mcp.method.name`, `tools/call`, service names) in every span; turning
 * their bytes into a JS string costs a native call each time, while hashing and comparing
 * a few bytes in JS is several times cheaper. Strings longer than MAX_INTERNED_BYTES are
 * decoded directly.
 */
const MAX_INTERNED_BYTES = 48;
const SLOTS = 4096; // power of two

export class StringTable {
  private readonly bytes: Array<Uint8Array | undefined> = new Array(SLOTS);
  private readonly strings: Array<string | undefined> = new Array(SLOTS);

  decode(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len === 0) return '';
    if (len > MAX_INTERNED_BYTES) return buf.toString('utf8', start, end);
    // FNV-1a over the bytes.
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    const slot = (h >>> 0) & (SLOTS - 1);
    const known = this.bytes[slot];
    if (known !== undefined && known.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (known[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.strings[slot] as string;
    }
    const s = buf.toString('utf8', start, end);
    this.bytes[slot] = Uint8Array.prototype.slice.call(buf, start, end);
    this.strings[slot] = s;
    return s;
  }
}
