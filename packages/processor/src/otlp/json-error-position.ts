/**
 * Finds where a JSON text stops being valid. V8's JSON.parse messages quote the input
 * (a secret in a bad body would reach the response and the logs) and name no position for
 * most errors, so after JSON.parse fails we scan once more, iteratively (no recursion:
 * the text may nest arbitrarily deep), and report only the character offset.
 * Returns -1 if the text is valid, `text.length` when it ends too early.
 */
export function jsonErrorPosition(text: string): number {
  const OBJECT = 1;
  const ARRAY = 0;
  const stack: number[] = [];
  const n = text.length;
  let i = 0;
  let state: 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'afterValue' = 'value';
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  const scanString = (start: number): number => {
    let j = start + 1;
    while (j < n) {
      const ch = text.charCodeAt(j);
      if (ch === 0x22) return j + 1;
      if (ch < 0x20) return -(j + 1);
      if (ch === 0x5c) {
        const esc = text[j + 1];
        if (esc === undefined) return -(n + 1);
        if ('"\\/bfnrt'.includes(esc)) j += 2;
        else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) j += 6;
        else return -(j + 2);
      } else j++;
    }
    return -(n + 1);
  };

  for (;;) {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
    if (i >= n) return state === 'afterValue' && stack.length === 0 ? -1 : n;
    const c = text[i] as string;
    switch (state) {
      case 'valueOrClose':
        if (c === ']') {
          stack.pop();
          i++;
          state = 'afterValue';
        } else state = 'value';
        continue;
      case 'value': {
        if (c === '{') {
          stack.push(OBJECT);
          i++;
          state = 'keyOrClose';
        } else if (c === '[') {
          stack.push(ARRAY);
          i++;
          state = 'valueOrClose';
        } else if (c === '"') {
          const j = scanString(i);
          if (j < 0) return -j - 1;
          i = j;
          state = 'afterValue';
        } else if (c === '-' || (c >= '0' && c <= '9')) {
          NUMBER.lastIndex = i;
          const m = NUMBER.exec(text);
          if (!m) return c === '-' ? i + 1 : i;
          i += m[0].length;
          state = 'afterValue';
        } else {
          const literal = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : null;
          if (!literal) return i;
          for (let k = 0; k < literal.length; k++) if (text[i + k] !== literal[k]) return Math.min(i + k, n);
          i += literal.length;
          state = 'afterValue';
        }
        continue;
      }
      case 'keyOrClose':
        if (c === '}') {
          stack.pop();
          i++;
          state = 'afterValue';
        } else state = 'key';
        continue;
      case 'key': {
        if (c !== '"') return i;
        const j = scanString(i);
        if (j < 0) return -j - 1;
        i = j;
        state = 'colon';
        continue;
      }
      case 'colon':
        if (c !== ':') return i;
        i++;
        state = 'value';
        continue;
      case 'afterValue': {
        if (stack.length === 0) return i;
        const top = stack[stack.length - 1];
        if (c === ',') {
          i++;
          state = top === OBJECT ? 'key' : 'value';
        } else if ((c === '}' && top === OBJECT) || (c === ']' && top === ARRAY)) {
          stack.pop();
          i++;
        } else return i;
        continue;
      }
    }
  }
}
