/**
 * A compact ring of JSON values (the sampler's history). A value is split into its template,
 * the JSON text between its numbers (keys, strings, nulls, brackets), and the numbers
 * themselves. Templates are interned with a reference count, since consecutive samples nearly
 * always share one; the numbers of all slots live in one preallocated Float64Array. A slot
 * decodes straight to the text JSON.stringify would give, so serving history never rebuilds
 * objects. Nothing here knows the Sample's fields: a new field just becomes template or number.
 */

/** A value as template parts (one more than numbers) and the numbers between them. */
export interface Encoded {
  parts: string[];
  numbers: number[];
}

/** JSON.stringify never emits U+0000 raw (it escapes control characters), so it can join parts. */
const PART_SEPARATOR = '\u0000';

/**
 * Splits `value`, plain JSON data (objects, arrays, strings, numbers, booleans, null; no
 * toJSON methods), into template parts and numbers: decode() of them is JSON.stringify(value).
 */
export function encode(value: unknown): Encoded {
  const parts: string[] = [];
  const numbers: number[] = [];
  let text = '';
  const walk = (item: unknown, inArray: boolean): void => {
    if (typeof item === 'number') {
      if (Number.isFinite(item)) {
        parts.push(text);
        numbers.push(item);
        text = '';
      } else {
        text += 'null'; // as JSON.stringify writes NaN and ±Infinity
      }
    } else if (Array.isArray(item)) {
      text += '[';
      item.forEach((element, index) => {
        text += index === 0 ? '' : ',';
        walk(element, true);
      });
      text += ']';
    } else if (item !== null && typeof item === 'object') {
      text += '{';
      let first = true;
      for (const [key, member] of Object.entries(item)) {
        if (member !== undefined) {
          text += (first ? '' : ',') + JSON.stringify(key) + ':';
          first = false;
          walk(member, false);
        }
      }
      text += '}';
    } else if (item === undefined) {
      text += inArray ? 'null' : ''; // a top-level undefined has no JSON; samples never are
    } else {
      text += JSON.stringify(item);
    }
  };
  walk(value, false);
  parts.push(text);
  return { parts, numbers };
}

/** The JSON text of a template filled with `count` numbers read from `numbers` at `offset`. */
export function decode(parts: readonly string[], numbers: ArrayLike<number>, offset = 0): string {
  let text = parts[0];
  for (let i = 1; i < parts.length; i++) {
    // String() writes a finite number as JSON.stringify does, -0 as "0" included.
    text += String(numbers[offset + i - 1]) + parts[i];
  }
  return text;
}

interface Template {
  key: string;
  parts: string[];
  references: number;
}

/**
 * Fixed capacity, oldest overwritten first. Each push gets the next sequence number; the
 * ring holds the numbers [end - size, end), so a reader that noted a range can tell which
 * of its slots were overwritten since (json() answers undefined for those).
 */
export class HistoryRing {
  readonly capacity: number;
  private readonly templates = new Map<string, Template>();
  private readonly slotTemplates: (Template | undefined)[];
  private readonly keys: Float64Array;
  private numbers: Float64Array;
  private width = 0;
  private end = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.slotTemplates = new Array<Template | undefined>(capacity).fill(undefined);
    this.keys = new Float64Array(capacity);
    this.numbers = new Float64Array(0);
  }

  /** Sequence numbers held: [first, end). */
  get first(): number {
    return Math.max(0, this.end - this.capacity);
  }

  get next(): number {
    return this.end;
  }

  /** Distinct templates held (for tests and diagnostics). */
  get templateCount(): number {
    return this.templates.size;
  }

  /** Stores `value` under the ordering key `key` (e.g. its timestamp); returns its sequence number. */
  push(value: unknown, key: number): number {
    const { parts, numbers } = encode(value);
    if (numbers.length > this.width) {
      this.widen(numbers.length);
    }
    const slot = this.end % this.capacity;
    this.release(this.slotTemplates[slot]);
    this.slotTemplates[slot] = this.intern(parts);
    this.keys[slot] = key;
    this.numbers.set(numbers, slot * this.width);
    return this.end++;
  }

  /** The JSON text stored under `sequence`, or undefined when it was overwritten or never written. */
  json(sequence: number): string | undefined {
    if (sequence < this.first || sequence >= this.end) {
      return undefined;
    }
    const slot = sequence % this.capacity;
    return decode((this.slotTemplates[slot] as Template).parts, this.numbers, slot * this.width);
  }

  /**
   * The oldest sequence number of the newest run of keys >= `since`, counted back from the
   * newest slot (a key that went back, e.g. a clock step, ends the run); `next` if none.
   */
  firstFrom(since: number): number {
    let sequence = this.end;
    while (sequence > this.first && this.keys[(sequence - 1) % this.capacity] >= since) {
      sequence--;
    }
    return sequence;
  }

  private intern(parts: string[]): Template {
    const key = parts.join(PART_SEPARATOR);
    let template = this.templates.get(key);
    if (template === undefined) {
      template = { key, parts, references: 0 };
      this.templates.set(key, template);
    }
    template.references++;
    return template;
  }

  private release(template: Template | undefined): void {
    if (template !== undefined && --template.references === 0) {
      this.templates.delete(template.key);
    }
  }

  /** Rare (a sample with more numbers than any before): copies every slot to the new width. */
  private widen(width: number): void {
    const numbers = new Float64Array(this.capacity * width);
    for (let slot = 0; slot < this.capacity && this.width > 0; slot++) {
      numbers.set(this.numbers.subarray(slot * this.width, (slot + 1) * this.width), slot * width);
    }
    this.numbers = numbers;
    this.width = width;
  }
}
