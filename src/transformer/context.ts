/**
 * What the transformer passes down: one `ProgramContext` per Program (or per `createTransformer` call), and a
 * `FileContext` per source file that adds the node factory and the file's generated names. Both are readonly;
 * nothing below the entry keeps state of its own.
 */
import type * as ts from 'typescript';
import type { ResolvedConfig } from './config/types';
import type { RuntimeImport } from './rewrite/imports';
import type { Names } from './rewrite/names';

export interface ProgramContext {
  /** The host's TypeScript (ts-patch's `extras.ts`, or the instance given to `createTransformer`). */
  readonly ts: typeof import('typescript');
  readonly config: ResolvedConfig;
  /** Folder `code.filepath` is relative to: the tsconfig's folder, else the working directory. */
  readonly projectRoot: string;
  /** Where diagnostics go: ts-patch's `addDiagnostic`, or `createTransformer`'s sink. */
  readonly report: (diagnostic: ts.Diagnostic) => void;
}

export interface FileContext extends ProgramContext {
  readonly transformation: ts.TransformationContext;
  readonly factory: ts.NodeFactory;
  /** The parse tree of the file: analysis always reads this one. */
  readonly sourceFile: ts.SourceFile;
  readonly names: Names;
  readonly runtime: RuntimeImport;
  /** A fresh reference to the per-call state (`$s`). */
  state(): ts.Identifier;
}
