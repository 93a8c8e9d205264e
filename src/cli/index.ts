#!/usr/bin/env node
/**
 * The `traced` command: `traced <verb> [args]`. Each verb is a module of its own (`usage` and `run(args)` →
 * exit code), loaded only when it runs, so `traced view` never loads the compiler. Adding a verb is one line
 * in VERBS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface VerbModule {
  readonly usage: string;
  run(args: readonly string[]): number | Promise<number>;
}

interface Verb {
  /** One line for the command list. */
  readonly summary: string;
  readonly load: () => Promise<VerbModule>;
}

const VERBS: Readonly<Record<string, Verb>> = {
  view: { summary: 'write a self-contained HTML waterfall of a span file', load: () => import('./view.js') },
  codegen: { summary: 'write the project\'s sources, instrumented, for any compiler', load: () => import('./codegen.js') },
  inspect: { summary: 'list what will be traced in a project, what is left out and why', load: () => import('./inspect.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(VERBS).map((name) => name.length));
  const verbs = Object.entries(VERBS).map(([name, verb]) => `  ${name.padEnd(width)}  ${verb.summary}`);
  return `Usage: traced <command> [options]\n\nCommands:\n${verbs.join('\n')}\n\n` +
    'Run `traced <command> --help` for its options; `traced --version` for the version.';
}

function version(): string {
  // Same depth from src/cli and dist/cli.
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const verb = rest[0] !== undefined && Object.hasOwn(VERBS, rest[0]) ? VERBS[rest[0]] : undefined;
    console.log(verb ? (await verb.load()).usage : usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  if (!Object.hasOwn(VERBS, name)) {
    console.error(`traced: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await VERBS[name].load()).run(rest);
  } catch (error) {
    console.error(`traced ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
