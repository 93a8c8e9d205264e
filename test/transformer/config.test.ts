/**
 * loadConfig: finding traced.config.json, merging the tsconfig plugin options over it, defaults, and one
 * diagnostic per fault at `file:line:col` with the key path. Each test writes a small project to a temp folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULTS } from '../../src/transformer/config/defaults';
import { loadConfig, type LoadedConfig } from '../../src/transformer/config/load';
import { closestKey, SCHEMA_PATH } from '../../src/transformer/config/validate';
import { selectSites } from '../../src/transformer/select/index';

const made: string[] = [];

/** A temp project with the given files (paths relative to its root). */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'traced-config-'));
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function load(root: string, options: object = {}, tsconfig = true): LoadedConfig {
  return loadConfig(ts, options, { projectRoot: root, tsconfigPath: tsconfig ? join(root, 'tsconfig.json') : undefined });
}

/** `TT1002 traced.config.json:4:5 functions.exclude: must be ...`: how each diagnostic reads in tsc output. */
function lines(root: string, loaded: LoadedConfig): string[] {
  return loaded.diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    assert.is(d.category, ts.DiagnosticCategory.Error);
    if (!d.file) return `${text.slice(0, 6)} ${text.slice(8)}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start!);
    return `${text.slice(0, 6)} ${d.file.fileName.slice(root.length + 1)}:${line + 1}:${character + 1} ${text.slice(8)}`;
  });
}

const TSCONFIG = (entry: string) => `{\n  "compilerOptions": {\n    "plugins": [\n      ${entry}\n    ]\n  }\n}\n`;

// ---------------------------------------------------------------------------------------------------------

const loading = suite('loadConfig: finding and merging');

loading('uses the defaults with no file and no options: rules off, markers on', () => {
  const root = project({});
  const { config, diagnostics } = load(root);
  assert.equal(diagnostics, []);
  assert.equal(config, { ...DEFAULTS, baseDir: root, configFile: undefined, rules: [] });
  assert.is(config.requireActiveTrace, true, '~> rule-selected spans need an active trace by default');
  assert.is(config.include, undefined, '~> no include: rules select nothing');
});

loading('C8.99 reads traced.config.json next to the tsconfig, with comments and trailing commas', () => {
  const root = project({
    'traced.config.json': `// rules for the services\n{\n  /* modules */ "include": ["src/**",],\n  "functions": { "exclude": ["toJSON"] },\n  "kinds": ["method"],\n  "exportedOnly": true,\n  "requireActiveTrace": false,\n  "tags": { "team": "core", "tier": 1 },\n}\n`,
  });
  const { config, diagnostics } = load(root);
  assert.equal(diagnostics, []);
  assert.equal(config.include, ['src/**']);
  assert.equal(config.functions, { include: undefined, exclude: ['toJSON'] });
  assert.equal(config.kinds, ['method']);
  assert.equal([config.exportedOnly, config.requireActiveTrace], [true, false]);
  assert.equal(config.tags, { team: 'core', tier: 1 });
  assert.equal([config.configFile, config.baseDir], [join(root, 'traced.config.json'), root]);
});

loading('merges the plugin options over the file; functions and tags key by key; arrays replace', () => {
  const root = project({
    'traced.config.json': `{ "include": ["src/**"], "exclude": ["a"], "functions": { "include": ["x*"], "exclude": ["y"] }, "tags": { "a": 1, "b": 2 } }`,
  });
  const { config, diagnostics } = load(root, { exclude: ['b'], functions: { exclude: ['z'] }, tags: { b: 3 }, enabled: false });
  assert.equal(diagnostics, []);
  assert.equal(config.include, ['src/**'], '~> kept from the file');
  assert.equal(config.exclude, ['b'], '~> replaced by the option');
  assert.equal(config.functions, { include: ['x*'], exclude: ['z'] });
  assert.equal(config.tags, { a: 1, b: 3 });
  assert.is(config.enabled, false);
});

loading('ignores the keys ts-patch and tsserver put in a plugin entry', () => {
  const root = project({});
  const { config, diagnostics } = load(root, {
    transform: 'ts-traced/transformer',
    after: false,
    afterDeclarations: false,
    type: 'program',
    import: 'default',
    isEsm: false,
    transformProgram: false,
    resolvePathAliases: true,
    tsConfig: './tsconfig.json',
    name: 'x',
    exportedOnly: true,
  });
  assert.equal(diagnostics, []);
  assert.is(config.exportedOnly, true);
});

loading('reads the file named by the config option, relative to the tsconfig folder; globs are relative to it', () => {
  const root = project({ 'cfg/tracing.json': `{ "include": ["../src/**"] }`, 'traced.config.json': `{ "include": ["nope"] }` });
  const { config, diagnostics } = load(root, { config: 'cfg/tracing.json' });
  assert.equal(diagnostics, []);
  assert.equal([config.include, config.baseDir], [['../src/**'], join(root, 'cfg')]);
  const file = ts.createSourceFile(join(root, 'src/a.ts'), `function a() {}`, ts.ScriptTarget.ES2022, true);
  const selection = selectSites(ts, file, config, { projectRoot: root });
  assert.equal([...selection.sites.values()].map((s) => [s.name, s.file]), [['a', 'src/a.ts']]);
});

loading('C8.99 accepts an empty file and a UTF-8 BOM', () => {
  assert.equal(load(project({ 'traced.config.json': '' })).diagnostics, []);
  const bom = load(project({ 'traced.config.json': '\uFEFF{ "exportedOnly": true }' }));
  assert.equal([bom.diagnostics, bom.config.exportedOnly], [[], true]);
});

loading('C8.97 a missing implicit file is fine; a missing explicit one is an error at the tsconfig key', () => {
  const root = project({ 'tsconfig.json': TSCONFIG(`{ "transform": "ts-traced/transformer", "config": "./tracing.json" }`) });
  assert.equal(load(root).diagnostics, []);
  const loaded = load(root, { transform: 'ts-traced/transformer', config: './tracing.json' });
  assert.equal(lines(root, loaded), [
    `TT1004 tsconfig.json:4:47 config file not found: ${join(root, 'tracing.json')}, named by "config" in the ts-traced plugin options in ${join(root, 'tsconfig.json')}. Fix the path or remove the option.`,
  ]);
});

loading('C8.97 a missing explicit file without a tsconfig names the plugin options; a directory is reported too', () => {
  const root = project({ 'conf/.keep': '' });
  assert.equal(lines(root, load(root, { config: 'x.json' }, false)), [
    `TT1004 config file not found: ${join(root, 'x.json')}, named by "config" in the ts-traced plugin options. Fix the path or remove the option.`,
  ]);
  assert.equal(lines(root, load(root, { config: 'conf' }, false)), [
    `TT1005 cannot read config file ${join(root, 'conf')}, named by "config" in the ts-traced plugin options: it is a directory.`,
  ]);
});

loading('keeps each rule with its key path and the line and column of its element, in the source it comes from', () => {
  const root = project({
    'traced.config.json': `{\n  "include": [\n    "src/**",\n    "lib/**"\n  ],\n  "functions": { "include": ["charge*"] }\n}\n`,
    'tsconfig.json': TSCONFIG(`{ "transform": "ts-traced/transformer", "include": ["app/**"] }`),
  });
  const where = (config: LoadedConfig['config']) =>
    config.rules.map((r) => {
      const { line, character } = r.at!.file.getLineAndCharacterOfPosition(r.at!.start);
      return `${r.path} ${r.list}[${r.index}] "${r.pattern}" ${r.origin} ${r.at!.file.fileName.slice(root.length + 1)}:${line + 1}:${character + 1}`;
    });
  assert.equal(where(load(root).config), [
    'include[0] include[0] "src/**" file traced.config.json:3:5',
    'include[1] include[1] "lib/**" file traced.config.json:4:5',
    'functions.include[0] functions.include[0] "charge*" file traced.config.json:6:30',
  ]);
  const merged = load(root, { transform: 'ts-traced/transformer', include: ['app/**'] }).config;
  assert.equal(where(merged), [
    'include[0] include[0] "app/**" options tsconfig.json:4:59',
    'functions.include[0] functions.include[0] "charge*" file traced.config.json:6:30',
  ], '~> a list the plugin options give is theirs, at its place in the tsconfig entry');
  const inCode = load(root, { include: ['other/**'] }).config.rules[0]!;
  assert.equal([inCode.origin, inCode.at], ['options', undefined], '~> options given in code that the tsconfig does not hold: no position');
});

loading.run();

// ---------------------------------------------------------------------------------------------------------

const faults = suite('loadConfig: faults at file:line:col with the key path');

faults('invalid JSON: an unterminated string and a missing colon', () => {
  const root = project({ 'traced.config.json': `{\n  "include": ["src/**],\n}` });
  const [line] = lines(root, load(root));
  assert.match(line!, /^TT1001 traced\.config\.json:2:24 invalid JSON: Unterminated string literal\./, '~> where the string runs out');
  const other = project({ 'traced.config.json': `{\n  "include" ["src/**"]\n}` });
  assert.equal(lines(other, load(other)), [
    `TT1001 traced.config.json:2:13 invalid JSON: ':' expected. Fix the syntax (comments and trailing commas are allowed).`,
  ]);
});

faults('an unknown key, with "did you mean" when one is close', () => {
  const root = project({ 'traced.config.json': `{\n  "enabled": true,\n\n  "inclde": ["src/**"],\n  "colour": 1\n}` });
  assert.equal(lines(root, load(root)), [
    'TT1003 traced.config.json:4:3 inclde: unknown key (did you mean "include"?). Remove it; the keys are listed in ts-traced/schema.json.',
    'TT1003 traced.config.json:5:3 colour: unknown key. Remove it; the keys are listed in ts-traced/schema.json.',
  ]);
});

faults('a wrong type at the top, nested, inside an array and inside tags', () => {
  const root = project({
    'traced.config.json': `{\n  "include": "src/**",\n  "functions": {\n    "exclude": ["a", 2]\n  },\n  "enabled": "yes",\n  "tags": { "ok": 1, "bad": [1] }\n}`,
  });
  assert.equal(lines(root, load(root)), [
    'TT1002 traced.config.json:2:3 include: must be an array of strings.',
    'TT1002 traced.config.json:4:22 functions.exclude[1]: must be a string.',
    'TT1002 traced.config.json:6:3 enabled: must be true or false.',
    'TT1002 traced.config.json:7:22 tags.bad: must be a string, number or boolean.',
  ]);
});

faults('a value outside an enum lists the allowed values; duplicates are refused', () => {
  const root = project({ 'traced.config.json': `{\n  "kinds": ["method", "lambda"],\n  "async": ["sync", "sync"]\n}` });
  assert.equal(lines(root, load(root)), [
    'TT1002 traced.config.json:2:23 kinds[1]: must be one of "function", "method", "arrow", "expression", "accessor".',
    'TT1002 traced.config.json:3:3 async: must be a list without duplicates.',
  ]);
});

faults('an invalid glob and an empty glob', () => {
  const root = project({ 'traced.config.json': `{\n  "include": ["src/[a-"],\n  "exclude": [""]\n}` });
  assert.equal(lines(root, load(root)), [
    'TT1006 traced.config.json:2:15 include[0]: invalid glob pattern: Missing closing: "]" - use "\\\\]" to match literal characters.',
    'TT1002 traced.config.json:3:15 exclude[0]: must be a non-empty string.',
  ]);
});

faults('a root that is not an object', () => {
  const root = project({ 'traced.config.json': `\n["src/**"]` });
  assert.equal(lines(root, load(root)), ['TT1007 traced.config.json:2:1 the config file must hold a JSON object ({ ... }).']);
});

faults('"config" is a plugin option only: in the file it is an unknown key', () => {
  const root = project({ 'traced.config.json': `{ "config": "x.json" }` });
  assert.match(lines(root, load(root))[0]!, /^TT1003 traced\.config\.json:1:3 config: unknown key/);
});

faults('C8.99 positions stay right with CRLF line endings and a BOM', () => {
  const root = project({ 'traced.config.json': '\uFEFF{\r\n  // note\r\n  "exportedOnly": 1\r\n}\r\n' });
  assert.equal(lines(root, load(root)), ['TT1002 traced.config.json:3:3 exportedOnly: must be true or false.']);
});

faults('a wrong plugin option is reported at its key in the tsconfig', () => {
  const root = project({ 'tsconfig.json': TSCONFIG(`{ "transform": "ts-traced/transformer", "exportedOnly": "yes", "kinds": "all" }`) });
  assert.equal(lines(root, load(root, { transform: 'ts-traced/transformer', exportedOnly: 'yes', kinds: 'all' })), [
    'TT1002 tsconfig.json:4:47 exportedOnly: must be true or false.',
    `TT1002 tsconfig.json:4:70 kinds: must be an array of "function", "method", "arrow", "expression", "accessor".`,
  ]);
});

faults('a wrong plugin option without a tsconfig names the plugin options', () => {
  const root = project({});
  assert.equal(lines(root, load(root, { exportedOnly: 'yes' }, false)), [
    'TT1002 exportedOnly: must be true or false. (the ts-traced plugin options)',
  ]);
});

faults('a source with faults is left out, so the defaults apply', () => {
  const root = project({ 'traced.config.json': `{ "include": ["src/**"], "exportedOnly": 3 }` });
  const { config, diagnostics } = load(root);
  assert.is(diagnostics.length, 1);
  assert.is(config.include, undefined, '~> rules stay off');
  assert.is(config.configFile, undefined);
});

faults.run();

// ---------------------------------------------------------------------------------------------------------

const schema = suite('traced.schema.json');

schema('describes every config key with a description, and documents the same defaults as DEFAULTS', () => {
  const json = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  const keys = Object.keys(json.properties).filter((k) => k !== '$schema');
  assert.equal(keys.sort(), Object.keys(DEFAULTS).sort());
  for (const key of keys) {
    assert.type(json.properties[key].description, 'string', `~> ${key} has a description`);
    const value = (DEFAULTS as Record<string, unknown>)[key];
    if (key === 'functions') assert.equal(json.properties.functions.properties.exclude.default, DEFAULTS.functions.exclude);
    else if (value !== undefined) assert.equal(json.properties[key].default, value, `~> ${key} default`);
  }
});

schema('is the file the package exports as ts-traced/schema.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
  assert.is(join(__dirname, '../..', pkg.exports['./schema.json']), SCHEMA_PATH);
  assert.ok(pkg.files.includes('traced.schema.json'), '~> shipped');
});

schema('closestKey suggests a key a few letters off, case-insensitively, and nothing far', () => {
  const keys = ['include', 'exclude', 'exportedOnly'];
  assert.is(closestKey('inclde', keys), 'include');
  assert.is(closestKey('ExportedONLY', keys), 'exportedOnly');
  assert.is(closestKey('colour', keys), undefined);
});

schema.after(() => {
  for (const root of made) rmSync(root, { recursive: true, force: true });
});

schema.run();
