/**
 * A Nest app on both of its HTTP adapters, traced by the same middleware as plain apps (`app.use` of
 * `tracingMiddleware` on express, `app.register(fastifyTracing)` on fastify), with a provider method marked
 * `@traced`. The fixture is compiled here with TypeScript's legacy decorators and decorator metadata (which tsx's
 * esbuild does not emit), three ways: with the runtime decorator, with the compiler plugin (which instruments the
 * method in place), and with a do-nothing decorator as the reference for metadata.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import Module = require('node:module');
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTransformer } from '../../../src/transformer/index';
import { tracingMiddleware } from '../../../src/runtime/servers/express';
import { fastifyTracing } from '../../../src/runtime/servers/fastify';
import { installRecordingTracer, type RecordingTracer } from '../../helpers/mock-tracer';
import { concurrently, send, tagRequestId, until } from './helpers';

const ROOT = resolve(__dirname, '..', '..', '..');
const FIXTURE = join(__dirname, 'fixtures', 'nest', 'app.ts');
const TSCONFIG = join(dirname(FIXTURE), 'tsconfig.json');

type Variant = 'runtime decorator' | 'compiler plugin' | 'do-nothing decorator';
interface Fixture {
  readonly AppModule: new () => unknown;
  readonly UsersService: { prototype: { find: (...args: unknown[]) => unknown } } & Function;
  readonly UsersController: Function;
}

const compilerOptions = (() => {
  const parsed = ts.getParsedCommandLineOfConfigFile(TSCONFIG, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!parsed || parsed.errors.length) throw new Error(`cannot read ${TSCONFIG}`);
  return parsed.options;
})();

/** Compiles the fixture as `variant` and loads it as a CommonJS module from its own folder. */
function loadFixture(variant: Variant): Fixture {
  let source = readFileSync(FIXTURE, 'utf8');
  if (variant === 'do-nothing decorator') {
    source = source.replace(
      "import { traced } from 'ts-traced';",
      'const traced = (_options: unknown) => (_target: object, _key: string, descriptor: PropertyDescriptor) => descriptor;',
    );
  }
  const diagnostics: ts.Diagnostic[] = [];
  const before = variant === 'compiler plugin' ? [createTransformer(ts, { tsconfig: TSCONFIG, onDiagnostic: (d) => diagnostics.push(d) })] : [];
  const { outputText } = ts.transpileModule(source, { fileName: FIXTURE, compilerOptions, transformers: { before } });
  assert.equal(diagnostics.map((d) => d.messageText), [], '~> the plugin compiles the fixture without diagnostics');
  // `ts-traced` is this repository: point the emitted requires at its source (tsx loads .ts).
  const js = outputText
    .replaceAll('require("ts-traced/runtime")', `require(${JSON.stringify(join(ROOT, 'src', 'runtime', 'index.ts'))})`)
    .replaceAll('require("ts-traced")', `require(${JSON.stringify(join(ROOT, 'src', 'index.ts'))})`);
  if (variant === 'compiler plugin') assert.match(js, '__traced.v1.enter($site_1, arguments)', '~> instrumented in place');
  const loaded = new Module(FIXTURE, module) as Module & { _compile(code: string, file: string): void };
  loaded.filename = FIXTURE;
  loaded.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(FIXTURE));
  loaded._compile(js, FIXTURE);
  return loaded.exports as Fixture;
}

interface Running {
  readonly port: number;
  close(): Promise<void>;
}

const ADAPTERS = {
  async express(fixture: Fixture, traced: boolean): Promise<Running> {
    const app: INestApplication = await NestFactory.create(fixture.AppModule, new ExpressAdapter(), { logger: false });
    if (traced) app.use(tracingMiddleware({ startSpanCallback: tagRequestId }));
    await app.listen(0, '127.0.0.1');
    return { port: portOf(app.getHttpServer()), close: () => app.close() };
  },
  async fastify(fixture: Fixture, traced: boolean): Promise<Running> {
    const app = await NestFactory.create<NestFastifyApplication>(fixture.AppModule, new FastifyAdapter(), { logger: false });
    if (traced) await app.register(fastifyTracing, { startSpanCallback: tagRequestId });
    await app.listen(0, '127.0.0.1');
    return { port: portOf(app.getHttpServer()), close: () => app.close() };
  },
} as const;

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function withNest(adapter: keyof typeof ADAPTERS, fixture: Fixture, traced: boolean, fn: (port: number) => Promise<void>) {
  const app = await ADAPTERS[adapter](fixture, traced);
  try {
    await fn(app.port);
  } finally {
    await app.close();
  }
}

const servers = (tracer: RecordingTracer) => tracer.started.filter((s) => s.tags['span.kind'] === 'server');
const VARIANTS: readonly Variant[] = ['runtime decorator', 'compiler plugin'];

for (const adapter of ['express', 'fastify'] as const) {
  const test = suite(`Nest on ${adapter} (${adapter === 'express' ? 'tracingMiddleware' : 'fastifyTracing'})`);

  for (const variant of VARIANTS) {
    test(`${variant}: DI resolves, the span is named by the route, the @traced provider method nests under it`, async () => {
      const fixture = loadFixture(variant);
      const tracer = installRecordingTracer();
      await withNest(adapter, fixture, true, async (port) => {
        const reply = await send(port, '/users/42', { headers: { 'x-request-id': '42' } });
        assert.equal([reply.status, reply.body], [200, '{"name":"user-42"}']);
        await until(() => tracer.finished().length === 2);
        const [request] = servers(tracer);
        assert.is(request.name, 'GET /users/:id');
        assert.is(request.tags.component, adapter);
        assert.equal(tracer.finished().map((s) => s.path).sort(), ['GET /users/:id', 'GET /users/:id > UsersService.find']);
        const [find] = tracer.byName('UsersService.find');
        assert.is(find.tags['user.id'], '42', '~> onStart saw the arguments');
        tracer.reset();
        assert.is((await send(port, '/users/7/profile')).body, '{"profile":"user-7"}', '~> a traced controller method keeps its route');
        await until(() => tracer.finished().length === 3);
        assert.equal(tracer.finished().map((s) => s.path).sort(), [
          'GET /users/:id/profile',
          'GET /users/:id/profile > UsersController.profile',
          'GET /users/:id/profile > UsersController.profile > UsersService.find',
        ]);
      });
    });

    test(`${variant}: 300 concurrent requests, each provider span under its own request span`, async () => {
      const fixture = loadFixture(variant);
      const tracer = installRecordingTracer();
      await withNest(adapter, fixture, true, async (port) => {
        const replies = await concurrently(300, (i) => send(port, `/users/${i}`, { headers: { 'x-request-id': String(i) } }));
        replies.forEach((r, i) => assert.is(r.body, `{"name":"user-${i}"}`));
        await until(() => tracer.finished().length === 600);
        const finds = tracer.byName('UsersService.find');
        assert.is(finds.length, 300);
        const wrong = finds.filter((f) => f.parent?.tags['request.id'] !== f.tags['user.id'] || f.finishCount !== 1);
        assert.is(wrong.length, 0, '~> no span under another request');
        assert.ok(servers(tracer).every((s) => s.finishCount === 1 && s.parent === undefined));
      });
    });
  }

  test('Nest\'s own error responses are unchanged; a 500 is an error, a NotFoundException is not', async () => {
    const fixture = loadFixture('runtime decorator');
    const paths = ['/users/1/fail', '/users/1/missing', '/nowhere'];
    const answers = async (traced: boolean) => {
      const out: unknown[] = [];
      await withNest(adapter, fixture, traced, async (port) => {
        for (const p of paths) out.push(await send(port, p).then((r) => [r.status, r.body, r.headers['content-type']]));
      });
      return out;
    };
    installRecordingTracer();
    const plain = await answers(false);
    const tracer = installRecordingTracer();
    assert.equal(await answers(true), plain);
    await until(() => servers(tracer).filter((s) => s.finishCount > 0).length === 3);
    const [failed, missing, nowhere] = servers(tracer);
    assert.is(failed.name, 'GET /users/:id/fail');
    assert.is(failed.tags.error, true);
    assert.is(failed.tags['http.status_code'], 500);
    assert.is(missing.name, 'GET /users/:id/missing');
    assert.is(missing.tags.error, undefined);
    assert.is(nowhere.tags['http.status_code'], 404);
  });

  test.run();
}

const metadata = suite('@traced on a Nest provider (decorator metadata)');

metadata('constructor injection and method metadata are those of a do-nothing decorator', () => {
  const reference = loadFixture('do-nothing decorator');
  const describe = (f: Fixture) => ({
    controller: (Reflect as any).getMetadata('design:paramtypes', f.UsersController).map((c: Function) => c.name),
    params: (Reflect as any).getMetadata('design:paramtypes', f.UsersService.prototype, 'find'),
    returns: (Reflect as any).getMetadata('design:returntype', f.UsersService.prototype, 'find'),
    type: (Reflect as any).getMetadata('design:type', f.UsersService.prototype, 'find'),
    name: f.UsersService.prototype.find.name,
    length: f.UsersService.prototype.find.length,
  });
  const expected = describe(reference);
  assert.equal(expected.controller, ['UsersService'], '~> the reference has the injection metadata');
  assert.equal(expected.params, [String, Object]);
  for (const variant of VARIANTS) assert.equal(describe(loadFixture(variant)), expected, `~> ${variant}`);
});

metadata.run();
