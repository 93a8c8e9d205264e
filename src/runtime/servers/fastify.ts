/**
 * `ts-traced/fastify`: `app.register(fastifyTracing, options)` before the routes. The plugin skips fastify's
 * encapsulation (as fastify-plugin does, with `Symbol.for('skip-override')`), so its hooks apply to the whole
 * app: `onRequest` starts the span and runs the rest of the request with it active, `onError` tags the error.
 * The span is named by `request.routeOptions.url` (fastify >= 4.10). With `traceAll: false`, routes opt in
 * with `config: { traced: true }` or `config: { traced: ['params'] }` (attributes recorded in addition).
 */
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { requestSpanOf, resolveOptions, startRequestSpan, type ServerTracingOptions } from './request-span';

export { getSpan } from './request-span';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** With `fastifyTracing({ traceAll: false })`: trace this route; an array names request attributes to record. */
    traced?: boolean | readonly string[];
  }
}

export type FastifyTracingOptions = ServerTracingOptions<FastifyRequest>;

/** Keys fastify itself accepts in a plugin's options. */
const FASTIFY_KEYS = ['prefix', 'logLevel', 'logSerializers'];

/** Whether a route opted in, and the attributes it asked for. */
function routeConfig(request: FastifyRequest): { readonly traced: boolean; readonly attributes: readonly string[] } {
  const traced = (request.routeOptions?.config as { traced?: unknown } | undefined)?.traced;
  if (Array.isArray(traced)) return { traced: true, attributes: traced.filter((a) => typeof a === 'string') };
  return { traced: traced === true, attributes: [] };
}

const plugin: FastifyPluginCallback<FastifyTracingOptions> = (instance, options, done) => {
  const settings = resolveOptions(options, 'fastifyTracing', 'fastify', FASTIFY_KEYS);
  instance.addHook('onRequest', (request, reply, next) => {
    const route = routeConfig(request);
    if (!settings.traceAll && !route.traced) return next();
    const requestSpan = startRequestSpan(
      {
        req: request.raw,
        res: reply.raw,
        request,
        route: () => request.routeOptions?.url,
        attributes: route.attributes,
      },
      settings,
    );
    if (requestSpan === undefined) return next();
    requestSpan.run(next);
  });
  instance.addHook('onError', (request, _reply, error, next) => {
    requestSpanOf(request.raw)?.fail(error);
    next();
  });
  done();
};

/** The fastify plugin: `await app.register(fastifyTracing, { tracedAttributes: ['ip'] })`. */
export const fastifyTracing = Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'ts-traced',
});
