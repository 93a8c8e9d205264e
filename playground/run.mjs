// `npm run playground`: builds the playground with tspc and the ts-traced plugin, then runs it.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tspc = join(here, '..', 'node_modules', 'ts-patch', 'bin', 'tspc.js');
console.log('building playground with tspc + ts-traced/transformer ...');
execFileSync(process.execPath, [tspc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
execFileSync(process.execPath, ['--enable-source-maps', join(here, 'dist', 'main.js')], { stdio: 'inherit' });
