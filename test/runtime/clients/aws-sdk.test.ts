/**
 * AWS SDK v3 middleware, with the real S3 and DynamoDB clients pointed at a loopback server that answers like the
 * services (S3 PutObject/GetObject, DynamoDB GetItem/PutItem, their error documents), with fake static credentials.
 */
import * as nodeHttp from 'node:http';
import { DynamoDBClient, GetItemCommand, PutItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client as SmithyClient } from '@smithy/core/client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { awsSdk, instrumentAwsClient } from '../../../src/runtime/clients/aws-sdk';
import { http } from '../../../src/runtime/clients/http';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { closedPort } from '../../helpers/closed-port';
import { installDevTracer } from '../../helpers/dev-tracer';
import { installRecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { installPropagatingTracer, spanOfTraceparent } from '../../helpers/propagating-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';

process.removeAllListeners('warning'); // the SDK's Node 20 support notice is not this file's subject

const requests: { method: string; url: string; headers: nodeHttp.IncomingHttpHeaders; body: string }[] = [];
const server = nodeHttp.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target) {
      const json = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `DDB-${requests.length}` };
      if (body.includes('"missing-table"')) {
        res.writeHead(400, json);
        return res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'no table' }));
      }
      res.writeHead(200, json);
      return res.end(target.endsWith('.GetItem') ? JSON.stringify({ Item: { id: { S: '1' }, note: { S: 'stored' } } }) : '{}');
    }
    const id = { 'x-amz-request-id': `S3-${requests.length}` };
    if (req.url!.includes('/broken')) {
      res.writeHead(500, { ...id, 'content-type': 'application/xml' });
      return res.end('<Error><Code>InternalError</Code><Message>broken</Message></Error>');
    }
    if (req.url!.includes('/missing')) {
      res.writeHead(404, { ...id, 'content-type': 'application/xml' });
      return res.end('<Error><Code>NoSuchKey</Code><Message>nope</Message></Error>');
    }
    if (req.url!.includes('/slow')) return setTimeout(() => res.end(), 2000).unref();
    res.writeHead(200, { ...id, etag: '"e"' });
    res.end(req.method === 'GET' ? String(req.headers['x-plant'] ?? 'hello') : '');
  });
});

let endpoint = '';
let closedEndpoint = '';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fake-secret' };
const s3 = (extra: Record<string, unknown> = {}) =>
  new S3Client({ endpoint, region: 'eu-west-1', credentials, forcePathStyle: true, maxAttempts: 2, ...extra });
const dynamo = () => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const awsSpans = (tracer: { started: RecordedSpan[] }) => tracer.started.filter((s) => s.tags.component === 'aws-sdk');
const last = () => requests[requests.length - 1];

const listen = (s: nodeHttp.Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
const setup = async () => {
  if (server.listening) return;
  endpoint = `http://127.0.0.1:${await listen(server)}`;
  closedEndpoint = `http://127.0.0.1:${await closedPort()}`;
};

// ---------------------------------------------------------------------------------------------------------------
const instrument = suite('instrumentAwsClient');
instrument.before(setup);
instrument.after.each(() => setTracer(undefined));

instrument('an S3 PutObject is one client span, child of the active span, with service, operation, region, request id', async () => {
  const tracer = installRecordingTracer();
  const client = s3();
  instrumentAwsClient(client);
  const parent = tracer.startSpan('parent');
  const output = await withSpan(parent, () => client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'data' })));
  assert.is(output.ETag, '"e"');
  const [span] = awsSpans(tracer);
  assert.is(span.name, 'S3.PutObject');
  assert.is(span.parent, parent);
  assert.is(span.finishCount, 1);
  assert.equal(
    { ...span.tags },
    {
      'span.kind': 'client',
      component: 'aws-sdk',
      'peer.service': 'S3',
      'aws.service': 'S3',
      'aws.operation': 'PutObject',
      'aws.region': 'eu-west-1',
      'aws.request_id': `S3-${requests.length}`,
      'http.status_code': 200,
    },
  );
});

instrument('GetObject hands the body back unchanged', async () => {
  installRecordingTracer();
  const client = s3();
  instrumentAwsClient(client);
  const output = await client.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
  assert.is(await output.Body!.transformToString(), 'hello');
});

instrument('DynamoDB GetItem and PutItem are traced with their request ids', async () => {
  const tracer = installRecordingTracer();
  const client = dynamo();
  instrumentAwsClient(client, { peerService: 'orders-db' });
  const got = await client.send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } }));
  assert.equal(got.Item, { id: { S: '1' }, note: { S: 'stored' } });
  await client.send(new PutItemCommand({ TableName: 't', Item: { id: { S: '2' } } }));
  const list = awsSpans(tracer);
  assert.equal(list.map((s) => s.name), ['DynamoDB.GetItem', 'DynamoDB.PutItem']);
  assert.equal(list.map((s) => [s.tags['aws.region'], s.tags['peer.service'], s.tags['http.status_code']]), [
    ['us-east-1', 'orders-db', 200],
    ['us-east-1', 'orders-db', 200],
  ]);
  assert.ok(String(list[0].tags['aws.request_id']).startsWith('DDB-'));
});

instrument("a service error reaches the caller as the SDK's own error object; the span carries it", async () => {
  const tracer = installRecordingTracer();
  const client = dynamo();
  instrumentAwsClient(client);
  let thrown: unknown;
  await client.send(new GetItemCommand({ TableName: 'missing-table', Key: { id: { S: '1' } } })).catch((e) => (thrown = e));
  assert.instance(thrown, ResourceNotFoundException);
  const [span] = awsSpans(tracer);
  assert.is(span.tags.error, true);
  assert.is(span.logs[0]['error.object'], thrown);
  assert.is(span.tags['http.status_code'], 400);
  assert.is(span.finishCount, 1);
});

instrument('one span covers the retries; with the http wrapper each attempt is a child span', async () => {
  const tracer = installRecordingTracer();
  http.install();
  const client = s3();
  instrumentAwsClient(client);
  const error = await client.send(new GetObjectCommand({ Bucket: 'b', Key: 'broken' })).catch((e) => e);
  http.uninstall();
  assert.is(error.name, 'InternalError');
  const [span] = awsSpans(tracer);
  const attempts = tracer.started.filter((s) => s.parent === span && s.tags.component === 'http');
  assert.is(attempts.length, 2, '~> maxAttempts: 2');
  assert.equal([span.tags.error, span.tags['http.status_code'], span.finishCount], [true, 500, 1]);
});

instrument('a refused endpoint, a throwing credential provider and an abort each fail once with the SDK error', async () => {
  const tracer = installRecordingTracer();
  const refused = s3({ endpoint: closedEndpoint, maxAttempts: 1 });
  const noCredentials = s3({
    credentials: () => {
      throw new Error('no credentials');
    },
  });
  const slow = s3();
  for (const c of [refused, noCredentials, slow]) instrumentAwsClient(c);
  const errors = [
    await refused.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' })).catch((e) => e),
    await noCredentials.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' })).catch((e) => e),
    await slow.send(new GetObjectCommand({ Bucket: 'b', Key: 'slow' }), { abortSignal: AbortSignal.timeout(30) }).catch((e) => e),
  ];
  assert.is(errors[0].code, 'ECONNREFUSED');
  assert.is(errors[1].message, 'no credentials');
  assert.ok(/abort/i.test(errors[2].name), `~> ${errors[2].name}`);
  const list = awsSpans(tracer);
  assert.equal(list.map((s) => [s.tags.error, s.finishCount]), [[true, 1], [true, 1], [true, 1]]);
  assert.equal(list.map((s) => s.logs[0]['error.object']), errors, '~> the very objects the caller got');
});

instrument('hooks see the operation and the output; throwing hooks do no harm', async () => {
  const tracer = installRecordingTracer();
  resetFaults();
  const seen: string[] = [];
  const hooked = s3();
  instrumentAwsClient(hooked, {
    requestHook: (span, info) => seen.push(`${info.service}.${info.operation}`),
    responseHook: (span, output) => span.setTag('hook.etag', (output as { ETag?: string }).ETag),
  });
  await hooked.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  const throwing = s3();
  const boom = () => {
    throw new Error('hook broke');
  };
  instrumentAwsClient(throwing, { requestHook: boom, responseHook: boom });
  const output = await throwing.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  assert.is(output.ETag, '"e"');
  assert.equal(seen, ['S3.PutObject']);
  assert.is(awsSpans(tracer)[0].tags['hook.etag'], '"e"');
  assert.equal([faultCounts()['hook.requestHook'], faultCounts()['hook.responseHook']], [1, 1]);
});

instrument('instrumenting twice gives one span; the undo removes the middleware', async () => {
  const tracer = installRecordingTracer();
  const client = s3();
  const undo = instrumentAwsClient(client);
  instrumentAwsClient(client);
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  undo();
  assert.ok(!client.middlewareStack.identify().some((n) => n.startsWith('tsTraced')));
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  assert.is(awsSpans(tracer).length, 1);
});

instrument('with no tracer set, nothing is traced or injected', async () => {
  setTracer(undefined);
  const client = s3();
  instrumentAwsClient(client);
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  assert.is(last().headers.traceparent, undefined);
});

instrument.run();

// ---------------------------------------------------------------------------------------------------------------
const propagation = suite('instrumentAwsClient: propagation');
propagation.before(setup);
propagation.after.each(() => setTracer(undefined));

propagation('the HTTP request carries the AWS span context, unsigned, also through the http wrapper', async () => {
  const tracer = installPropagatingTracer();
  http.install();
  const client = s3();
  instrumentAwsClient(client);
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  http.uninstall();
  const [span] = awsSpans(tracer);
  const { headers } = last();
  assert.is(spanOfTraceparent(tracer, headers.traceparent), span, '~> the http span kept the AWS value');
  const signed = /SignedHeaders=([^,]+)/.exec(String(headers.authorization))?.[1] ?? '';
  assert.ok(signed.includes('host') && !signed.includes('traceparent'), `~> signed: ${signed}`);
});

propagation('a throwing inject leaves the command and its signed request intact', async () => {
  const tracer = installPropagatingTracer();
  resetFaults();
  (tracer as any)._inject = () => {
    throw new Error('inject broke');
  };
  const client = s3();
  instrumentAwsClient(client);
  const output = await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  assert.is(output.ETag, '"e"');
  assert.is(last().headers.traceparent, undefined);
  assert.is(faultCounts()['tracer.inject'], 1);
});

propagation('with the DevTracer the header is a valid W3C traceparent naming the AWS span', async () => {
  const { finished } = installDevTracer();
  const client = dynamo();
  instrumentAwsClient(client);
  await client.send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } }));
  const [span] = finished;
  assert.is(span.name, 'DynamoDB.GetItem');
  assert.match(String(last().headers.traceparent), new RegExp(`^00-${span.traceId}-${span.spanId}-0[0-3]$`));
});

propagation.run();

// ---------------------------------------------------------------------------------------------------------------
const redaction = suite('instrumentAwsClient: redaction');
redaction.before(setup);
redaction.after.each(() => setTracer(undefined));

redaction('C7.90 no payload, item value, secret key or response body is recorded', async () => {
  const tracer = installRecordingTracer();
  const secret = secretMarker();
  const client = s3({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret } });
  const table = dynamo();
  instrumentAwsClient(client);
  instrumentAwsClient(table);
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: secret, Metadata: { token: secret } }));
  const got = await client.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }), {});
  await got.Body!.transformToString();
  await table.send(new PutItemCommand({ TableName: 't', Item: { id: { S: '1' }, password: { S: secret } } }));
  await table.send(new PutItemCommand({ TableName: 'missing-table', Item: { v: { S: secret } } })).catch(() => {});
  assert.ok(requests.some((r) => r.body.includes(secret)), '~> the payloads did carry the secret');
  assert.equal(findMarker(tracer.started, secret), []);
});

redaction.run();

// ---------------------------------------------------------------------------------------------------------------
const install = suite('awsSdk');
install.before(setup);
install.after.each(() => {
  awsSdk.uninstall();
  setTracer(undefined);
});

install('traces every client from its first send; installing twice changes nothing', async () => {
  const tracer = installRecordingTracer();
  awsSdk.install();
  awsSdk.install();
  await s3().send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  await dynamo().send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } }));
  assert.equal(awsSpans(tracer).map((s) => s.name), ['S3.PutObject', 'DynamoDB.GetItem']);
});

install('uninstall restores Client.prototype.send and takes the middleware off instrumented clients', async () => {
  const tracer = installRecordingTracer();
  const send = SmithyClient.prototype.send;
  awsSdk.install();
  const client = s3();
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  awsSdk.uninstall();
  assert.is(SmithyClient.prototype.send, send);
  assert.ok(!client.middlewareStack.identify().some((n) => n.startsWith('tsTraced')));
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
  assert.is(awsSpans(tracer).length, 1);
});

install('declares the @smithy/core major it supports', () => {
  assert.is(awsSdk.supported, '3.x');
  assert.ok(awsSdk.isPresent());
});

install.after(() => {
  server.closeAllConnections();
  server.close();
});
install.run();
