/**
 * The edits of one file, collected first and applied to the text last. Everything the text rewrite does is an
 * insertion or a replacement of a marker's range; nothing the user wrote is moved or re-printed.
 *
 * Insertions that open a construct (`__traced.v1.back($s, ` before an `await`) and insertions that close one
 * (`))` after its operand) can meet at one position when constructs nest: `return await x` opens the return's
 * `ret(` and the await's `back(` before `await`, and closes both after `x`. At one position, closers come
 * first (innermost first), then openers (outermost first); "outer" is the node nearer the root, so the order
 * follows the syntax tree, never the order the rewriters ran in.
 *
 * No edit adds a line break: every original line stays at its number, so stack traces name the user's lines
 * even where no source map is read, and a map composed after another compiler's stays line-exact.
 */
import MagicString from 'magic-string';

interface Insertion {
  readonly pos: number;
  readonly text: string;
  readonly closes: boolean;
  /** Depth of the node the construct belongs to: smaller is outer. */
  readonly depth: number;
  /** Collection order, to keep equal edits stable. */
  readonly seq: number;
}

export interface Edits {
  /** Text that opens a construct owned by a node at `depth`, inserted before `pos`. */
  open(pos: number, text: string, depth: number): void;
  /** Text that closes a construct owned by a node at `depth`, inserted at `pos`. */
  close(pos: number, text: string, depth: number): void;
  /** Replaces `[start, end)`; the line breaks in it are kept, so later lines keep their numbers. */
  replace(start: number, end: number, text: string): void;
  readonly count: number;
  /** A mark to `rollBack` to. */
  mark(): number;
  /** Drops the insertions made since `mark`: what a function whose rewrite failed half-way had added. */
  rollBack(mark: number): void;
  /** Applies the edits to `text`: the new text and its map to `text`. */
  apply(text: string, fileName: string): MagicString;
}

export function createEdits(): Edits {
  const insertions: Insertion[] = [];
  const replacements: { start: number; end: number; text: string }[] = [];
  const add = (pos: number, text: string, depth: number, closes: boolean) => {
    if (/[\r\n\u2028\u2029]/.test(text)) throw new Error('an inserted text must not hold a line break');
    insertions.push({ pos, text, closes, depth, seq: insertions.length });
  };
  return {
    open: (pos, text, depth) => add(pos, text, depth, false),
    close: (pos, text, depth) => add(pos, text, depth, true),
    replace(start, end, text) {
      replacements.push({ start, end, text });
    },
    get count() {
      return insertions.length + replacements.length;
    },
    mark: () => insertions.length,
    rollBack(mark) {
      insertions.length = mark;
    },
    apply(text) {
      const s = new MagicString(text);
      for (const r of replacements) {
        const breaks = text.slice(r.start, r.end).match(/\r\n|[\r\n\u2028\u2029]/g) ?? [];
        const replacement = `${r.text}${breaks.join('')}`;
        if (replacement === '') s.remove(r.start, r.end);
        // contentOnly: insertions at the range's ends stay.
        else s.overwrite(r.start, r.end, replacement, { contentOnly: true });
      }
      const byPos = new Map<number, Insertion[]>();
      for (const i of insertions) byPos.set(i.pos, [...(byPos.get(i.pos) ?? []), i]);
      for (const [pos, group] of byPos) {
        group.sort((a, b) => {
          if (a.closes !== b.closes) return a.closes ? -1 : 1;
          const byDepth = a.closes ? b.depth - a.depth : a.depth - b.depth;
          return byDepth || a.seq - b.seq;
        });
        s.appendLeft(pos, group.map((i) => i.text).join(''));
      }
      return s;
    },
  };
}
