/**
 * `npm run playground` does what the README says: builds the two services with tspc and the plugin, runs them,
 * prints one trace per order that joins gateway and billing, marks the failing call, and writes the waterfall.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(__dirname, '..');
let output = '';

test('runs the playground end to end', () => {
  output = execFileSync(process.execPath, [join(root, 'playground', 'run.mjs')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 180_000,
  });
  assert.match(output, /order A-1001: 200/);
  assert.match(output, /order A-1002: 409/);
});

test('one trace joins both services for a placed order', () => {
  const gateway = /gateway │ trace ([0-9a-f]{32})  \d+ spans\ngateway │ POST \/orders\/:id/.exec(output);
  assert.ok(gateway, '~> the gateway printed a request trace');
  const billing = new RegExp(`billing │ trace ${gateway![1]}  \\d+ spans  remote parent [0-9a-f]{16}`).exec(output);
  assert.ok(billing, '~> billing printed its part of the same trace, under the gateway client span');
  assert.match(output, /orders\.place .*arg\.orderId=A-1001/);
  assert.match(output, /recordInvoice/);
});

test('the failed order is marked as an error where it failed', () => {
  assert.match(output, /✗ orders\.place .*error: lamp is out of stock/);
  assert.match(output, /✗ reserve .*error: lamp is out of stock/);
});

test('writes the waterfall page of the run', () => {
  const page = join(root, 'playground', '.traced', 'spans.html');
  assert.ok(existsSync(page));
  assert.match(readFileSync(page, 'utf8'), /recordInvoice/);
});

test.run();
