/**
 * The one place that ties generated nodes to the user's source. A wrapper built around an original node
 * takes that node's original, text range and source-map range, so comments stay attached, later
 * transformers see through to the parse tree, and a source map points the wrapper at the user's line.
 * Nothing else in the transformer calls setOriginalNode / setTextRange / setSourceMapRange / setEmitFlags /
 * setCommentRange.
 */
import type * as ts from 'typescript';

type TS = typeof import('typescript');

/** `created` stands for `original` in the emit: same original node, text range and source-map range. */
export function like<T extends ts.Node>(ts: TS, created: T, original: ts.Node): T {
  ts.setOriginalNode(created, original);
  ts.setTextRange(created, original);
  ts.setSourceMapRange(created, ts.getSourceMapRange(original));
  return created;
}

/**
 * Marks a generated node whose position is borrowed from `original` only for the source map: its
 * comments are not emitted a second time (the original node still carries them).
 */
export function mappedTo<T extends ts.Node>(ts: TS, created: T, original: ts.Node): T {
  ts.setSourceMapRange(created, ts.getSourceMapRange(original));
  ts.setEmitFlags(created, ts.EmitFlags.NoComments);
  return created;
}

/** `node`'s leading comments are printed by a node wrapped around it: not a second time with the node itself. */
export function withoutLeadingComments<T extends ts.Node>(ts: TS, node: T): T {
  return ts.setCommentRange(node, { pos: -1, end: node.end });
}

/**
 * `node` (moved away from the token that preceded it in the source, `=>` or `await`) does not print the comments
 * on that token's line: the token prints them, as its trailing comments.
 */
export function afterToken<T extends ts.Node>(ts: TS, file: ts.SourceFile, tokenEnd: number, node: T): T {
  const onTokenLine = tokenEnd >= 0 && ts.getTrailingCommentRanges(file.text, tokenEnd)?.length;
  return onTokenLine ? withoutLeadingComments(ts, node) : node;
}
