/**
 * The base of every error the processor throws on purpose: a stable code from its area's
 * map (see errors.ts) and a message that names the offending key, field or value.
 * `name` is the subclass's name, so logs and tests can tell the areas apart.
 */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
