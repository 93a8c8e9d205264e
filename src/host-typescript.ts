/**
 * The project's own `typescript` package, for the entries that read sources outside a compiler (the register
 * hook, the bundler plugin): the one the project resolves from its folder, else the one beside ts-traced. The
 * text rewrite parses with it and, in the register hook, compiles with it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

export function loadTypeScript(projectDir: string, who: string): typeof import('typescript') {
  for (const from of [join(projectDir, 'package.json'), __filename]) {
    try {
      return createRequire(from)('typescript') as typeof import('typescript');
    } catch {
      // Not resolvable from there: try the next place.
    }
  }
  throw new Error(`${who} needs the "typescript" package to read the sources: npm install --save-dev typescript`);
}
