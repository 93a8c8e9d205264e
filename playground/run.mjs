// `npm run playground`: builds the playground with tspc and the ts-traced plugin, starts its two services
// (gateway and billing, each in its own process), sends them a few orders, stops them, and writes the waterfall
// page of every trace. Each service prints its part of each trace as a tree; the page joins them.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const traces = join(here, '.traced', 'spans.jsonl');

console.log('building the playground with tspc + ts-traced/transformer ...');
rmSync(join(here, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules', 'ts-patch', 'bin', 'tspc.js'), '-p', join(here, 'tsconfig.json')], {
  stdio: 'inherit',
});
rmSync(traces, { force: true });
mkdirSync(dirname(traces), { recursive: true });

/** Starts a service and resolves with its URL once it listens; its stderr lines are prefixed with its name. */
function start(name, env = {}) {
  const child = spawn(process.execPath, ['--enable-source-maps', join(here, 'dist', `${name}.js`)], {
    env: { ...process.env, TRACED_FILE: traces, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stderr }).on('line', (line) => console.log(`${name.padEnd(7)} │ ${line}`));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const url = /^listening (\S+)/.exec(line)?.[1];
      if (url) resolve({ child, url });
      else console.log(`${name.padEnd(7)} │ ${line}`);
    });
  });
}

async function order(gateway, id, items) {
  const response = await fetch(`${gateway}/orders/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(items),
  });
  console.log(`client  │ order ${id}: ${response.status} ${await response.text()}`);
  await new Promise((resolve) => setTimeout(resolve, 50)); // let both services print their trees in order
}

const billing = await start('billing');
const gateway = await start('gateway', { BILLING_URL: billing.url });
try {
  await order(gateway.url, 'A-1001', { book: 2, pen: 4 });
  await order(gateway.url, 'A-1002', { book: 1, lamp: 1 });
} finally {
  for (const { child } of [gateway, billing]) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
console.log(`\nspans of both services: ${traces}`);
console.log('the waterfall page, where each trace joins the gateway and billing spans:');
execFileSync(process.execPath, [join(root, 'dist', 'cli', 'index.js'), 'view', traces], { stdio: 'inherit' });
