/**
 * `npm run playground` does what the README says: builds the two services with tspc and the plugin, runs them,
 * prints one trace per order that joins gateway and billing, marks the failing call, and writes the waterfall.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpReceiver } from './helpers/trace-receiver';

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

test('with --import ts-traced/setup and OTEL_TRACES_EXPORTER=otlp, billing sends its spans to a collector', async () => {
  const receiver = await startHttpReceiver();
  try {
    const billing = spawn(process.execPath, ['--import', 'ts-traced/setup', join(root, 'playground', 'dist', 'billing.js')], {
      cwd: root,
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: 'billing',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    billing.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      billing.once('exit', (code) => reject(new Error(`billing exited with ${code}: ${stderr}`)));
      billing.stdout.on('data', (d) => {
        const found = /listening (\S+)/.exec(String(d));
        if (found) resolve(found[1]);
      });
    });
    const response = await fetch(`${url}/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      body: JSON.stringify({ orderId: 'OT-1', cents: 100 }),
    });
    assert.is(response.status, 200);
    const exited = new Promise((resolve) => billing.once('exit', resolve));
    billing.kill('SIGTERM');
    await exited;
    const spans = await receiver.waitForSpans(2, 10_000);
    const server = spans.find((s) => s.name === 'POST /charges');
    const invoice = spans.find((s) => s.name === 'recordInvoice');
    assert.ok(server && invoice, `~> received: ${spans.map((s) => s.name).join(', ')}`);
    assert.is(server!.traceId, '0af7651916cd43dd8448eb211c80319c', '~> the incoming traceparent is continued');
    assert.is(server!.parentSpanId, 'b7ad6b7169203331');
    assert.is(invoice!.parentSpanId, server!.spanId);
    assert.is(server!.service, 'billing');
  } finally {
    await receiver.close();
  }
});

test('a bad OTEL_TRACES_EXPORTER prints one clear line and the playground still runs', () => {
  const out = execFileSync(process.execPath, ['--import', 'ts-traced/setup', '-e', "require('./playground/dist/pricing.js'); console.log('app ran')"], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'jaegerr' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.is(out.trim(), 'app ran');
});

test.run();
