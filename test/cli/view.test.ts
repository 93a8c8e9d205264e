/**
 * `traced view`, run as users run it (the CLI in a child process through tsx) on a known span file, and the
 * page it writes driven in a real headless Chromium: traces, nesting, the failed span, search, hostile
 * strings staying text, no network. Without /usr/bin/chromium the browser test fails under CI=true and is
 * skipped with a notice otherwise. A screenshot is left in test/cli/.tmp/view.png.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSpanLines } from '../../src/cli/view';

// Callbacks given to page.evaluate run in the page; the project compiles without the DOM library, so the page
// globals they use are declared here (module scope, not global).
declare const getComputedStyle: (element: unknown) => { readonly paddingLeft: string; readonly backgroundColor: string };
declare const window: { readonly __pwned?: number };

const root = resolve(__dirname, '..', '..');
const fixture = join(__dirname, 'fixtures', 'view', 'spans.jsonl');
const tmp = join(__dirname, '.tmp');
mkdirSync(tmp, { recursive: true });

function traced(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'index.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const view = suite('traced view');

view('writes the page for a span file and prints its path', () => {
  const out = join(tmp, 'view-cli.html');
  const { code, stdout, stderr } = traced('view', fixture, '--out', out);
  assert.is(stderr, '');
  assert.is(code, 0);
  assert.is(stdout, `${out}\n`);
  const page = readFileSync(out, 'utf8');
  assert.is(page.match(/<section class="trace/g)?.length, 2, '~> one section per trace');
  assert.is(page.match(/<li class="span/g)?.length, 10, '~> one row per span');
});

view('writes beside the input by default, with the extension .html', () => {
  const input = join(tmp, 'default-out.jsonl');
  copyFileSync(fixture, input);
  const { code, stdout } = traced('view', input);
  assert.is(code, 0);
  assert.is(stdout.trim(), join(tmp, 'default-out.html'));
  assert.ok(existsSync(join(tmp, 'default-out.html')));
});

view('a missing file is a one-line error and exit code 1', () => {
  const missing = join(tmp, 'does-not-exist.jsonl');
  const { code, stdout, stderr } = traced('view', missing);
  assert.is(code, 1);
  assert.is(stdout, '');
  assert.is(stderr, `traced view: cannot read ${missing}: no such file\n`);
});

view('bad lines are reported with their line number and skipped; the good spans make the page', () => {
  const input = join(tmp, 'bad-lines.jsonl');
  const good = readFileSync(fixture, 'utf8').split('\n');
  writeFileSync(input, [good[0], '{"traceId": "x", oops', '', '{"a":1}', good[1], ''].join('\n'));
  const out = join(tmp, 'bad-lines.html');
  const { code, stdout, stderr } = traced('view', input, '-o', out);
  assert.is(code, 0);
  assert.is(stdout, `${out}\n`);
  const lines = stderr.trimEnd().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0], new RegExp(`^traced view: ${input}:2: not valid JSON \\(.+\\); line skipped$`));
  assert.is(lines[1], `traced view: ${input}:4: not a span record ("traceId" is not a non-empty string); line skipped`);
  assert.is(readFileSync(out, 'utf8').match(/<li class="span/g)?.length, 2);
});

view('a file with no span record at all is an error, with the first bad lines named', () => {
  const input = join(tmp, 'not-spans.jsonl');
  writeFileSync(input, '<!doctype html>\n<p>hello</p>\n');
  const { code, stderr } = traced('view', input);
  assert.is(code, 1);
  assert.equal(stderr.trimEnd().split('\n').map((l) => l.replace(/\(.*\)/, '(…)')), [
    `traced view: ${input}:1: not valid JSON (…); line skipped`,
    `traced view: ${input}:2: not valid JSON (…); line skipped`,
    `traced view: ${input} holds no span records (…)`,
  ]);
});

view('no file, two files or an unknown option: the usage and exit code 2', () => {
  for (const args of [[], ['a.jsonl', 'b.jsonl'], ['a.jsonl', '--bogus']]) {
    const { code, stderr } = traced('view', ...args);
    assert.is(code, 2, `~> ${args.join(' ')}`);
    assert.match(stderr, 'Usage: traced view <spans.jsonl> [--out <page.html>]');
  }
});

view.run();

const cli = suite('traced');

cli('lists its commands, prints its version, and rejects an unknown command with exit code 2', () => {
  const help = traced('--help');
  assert.is(help.code, 0);
  assert.match(help.stdout, /Commands:\n {2}view +write a self-contained HTML waterfall of a span file/);
  const version = traced('--version');
  assert.is(version.stdout.trim(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  const unknown = traced('frobnicate');
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, "traced: unknown command 'frobnicate'");
  assert.is(traced().code, 2, '~> no command');
});

cli.run();

const parse = suite('parseSpanLines');

parse('skips blank lines, tolerates CRLF and a BOM, and numbers problems by line', () => {
  const [a, b] = readFileSync(fixture, 'utf8').split('\n');
  const { records, problems } = parseSpanLines(`\uFEFF${a}\r\n\r\n[1]\r\n${b}\r\n`);
  assert.equal(records.map((r) => r.name), ['pg.query', '<img src=x onerror="window.__pwned=1">']);
  assert.equal(problems, [{ line: 3, message: 'not a span record (not a JSON object)' }]);
});

parse.run();

const browser = suite('traced view page in Chromium');
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true') {
  browser('Chromium is installed (required under CI=true)', () => {
    assert.unreachable(`${CHROMIUM} is missing: apt-get install -y chromium`);
  });
} else if (!hasChromium) {
  console.log(`SKIP ${CHROMIUM} is missing (apt-get install -y chromium): the browser test is skipped`);
}
const browserTest = hasChromium ? browser : browser.skip;

browserTest('shows each trace as nested bars, highlights the error, expands details, filters by search, runs no foreign script', async () => {
  const out = join(tmp, 'view-browser.html');
  assert.is(traced('view', fixture, '--out', out).code, 0);
  const instance = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await instance.newPage({ viewport: { width: 1200, height: 760 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => problems.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(out).href;
    await page.goto(url);

    assert.is(await page.locator('section.trace').count(), 2, '~> two traces');
    const depths = await page.$$eval('section.trace', (sections) =>
      sections.map((s) => Math.max(...[...s.querySelectorAll('li.span')].map((li) => Number(li.getAttribute('data-depth'))))),
    );
    assert.equal(depths, [3, 1], '~> nesting depth per trace');
    const indents = await page.$$eval('section.trace:first-of-type li.span .label', (labels) =>
      labels.map((l) => parseFloat(getComputedStyle(l).paddingLeft)),
    );
    assert.equal(indents, [0, 14, 28, 28, 42, 14], '~> rows indented by depth');

    const error = page.locator('li.span.error');
    assert.is(await error.count(), 1);
    assert.is(await error.locator('.name').textContent(), 'Billing.charge');
    const colours = await page.$$eval('li.span .bar', (bars) => bars.map((b) => getComputedStyle(b).backgroundColor));
    assert.is(colours.filter((c) => c === 'rgb(207, 34, 46)').length, 1, '~> exactly one red bar');
    assert.is(new Set(colours).size, 2, '~> every other bar the same colour');

    await error.locator('summary').click();
    assert.ok(await error.locator('details').evaluate((d) => (d as unknown as { open: boolean }).open), '~> a click expands');
    assert.is(await error.locator('table.tags th').first().textContent(), 'arg.invoiceId');
    assert.match((await error.locator('.logs').textContent()) ?? '', 'card declined');

    assert.is(await page.locator('img, b').count(), 0, '~> hostile markup stayed text');
    assert.is(await page.evaluate(() => window.__pwned), undefined);
    assert.match((await page.locator('li.span').nth(4).locator('.name').textContent()) ?? '', '<img src=x onerror=');

    const visible = () => page.$$eval('li.span:not([hidden]) .name', (names) => names.map((n) => n.textContent));
    const sectionsShown = () => page.locator('section.trace:not([hidden])').count();
    await page.fill('#search', 'PRIC');
    assert.equal(await visible(), ['jobs.nightly', 'Pricing.priceOf', 'Pricing.priceOf', 'Pricing.priceOf'], '~> by name, with the parent for context');
    assert.is(await page.locator('li.span.match').count(), 3);
    assert.is(await page.locator('li.span.context').count(), 1);
    assert.is(await sectionsShown(), 1);
    assert.is(await page.locator('#count').textContent(), '3 of 10 spans match');
    await page.screenshot({ path: join(tmp, 'view-search.png'), fullPage: true });
    await page.fill('#search', 'inv-7');
    assert.equal(await visible(), ['GET /orders/:id', 'Orders.place', 'Billing.charge'], '~> by tag value');
    await page.fill('#search', 'no such thing');
    assert.is(await sectionsShown(), 0);
    await page.fill('#search', '');
    assert.is((await visible()).length, 10, '~> clearing shows everything again');
    assert.is(await page.locator('#count').textContent(), '2 traces · 10 spans · 1 error');

    await page.screenshot({ path: join(tmp, 'view.png'), fullPage: true });
    assert.equal(problems, [], '~> no console errors, CSP violations or page errors');
    assert.equal(requests, [url], '~> no request but the page itself');
  } finally {
    await instance.close();
  }
});

browser.run();
