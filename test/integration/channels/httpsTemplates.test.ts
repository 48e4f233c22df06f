/**
 * Templates at https:// URLs, served on loopback with a certificate made for the test (openssl) that the
 * binary trusts through NODE_EXTRA_CA_CERTS: a redirect is followed on the same host only, and a template is
 * at most 1 MB (what CloudFormation accepts), a longer answer is not read to its end.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRackBinary } from '../../harness/runRack.js';
import { newTemplate, snapshot, workspace } from './fixtures.js';

/** CloudFormation's limit for a template through TemplateURL. */
const MB = 1_000_000;

interface Host {
  url: string;
  requests: string[];
  /** Bytes of the long answers written before the client went away. */
  written: number;
  close(): Promise<void>;
}

let certificate: string;
let templates: Host;
let elsewhere: Host;
let template: string;

/** An https server on 127.0.0.1 answering `routes` (path → handler). */
async function host(
  key: Buffer,
  cert: Buffer,
  routes: Record<string, (res: import('node:http').ServerResponse, h: Host) => void>,
) {
  const state: Host = { url: '', requests: [], written: 0, close: async () => undefined };
  const server = https.createServer({ key, cert }, (request, response) => {
    state.requests.push(request.url ?? '');
    const route = routes[request.url ?? ''];
    if (route) route(response, state);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Writes `total` bytes of YAML comments in 64 KiB pieces, as long as the client reads them. */
function stream(response: import('node:http').ServerResponse, h: Host, total: number, declare: boolean) {
  response.writeHead(200, { 'content-type': 'application/yaml', ...(declare ? { 'content-length': total } : {}) });
  const piece = Buffer.from(`# ${'x'.repeat(64 * 1024 - 3)}\n`);
  let sent = 0;
  const next = () => {
    while (sent < total) {
      const chunk = piece.subarray(0, Math.min(piece.length, total - sent));
      sent += chunk.length;
      h.written = sent;
      if (!response.write(chunk)) return void response.once('drain', next);
    }
    response.end();
  };
  response.on('error', () => undefined);
  next();
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rack-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  certificate = path.join(dir, 'cert.pem');
  const key = readFileSync(path.join(dir, 'key.pem'));
  const cert = readFileSync(certificate);
  template = await newTemplate('1.5.0');
  elsewhere = await host(key, cert, { '/rack.yaml': (res) => res.end(template) });
  templates = await host(key, cert, {
    '/rack.yaml': (res) => res.end(template),
    '/moved.yaml': (res) => res.writeHead(301, { location: '/releases/rack.yaml' }).end(),
    '/releases/rack.yaml': (res) => res.writeHead(302, { location: `${templates.url}/rack.yaml` }).end(),
    '/elsewhere.yaml': (res) => res.writeHead(302, { location: `${elsewhere.url}/rack.yaml` }).end(),
    '/insecure.yaml': (res) =>
      res.writeHead(302, { location: `${templates.url.replace('https:', 'http:')}/rack.yaml` }).end(),
    '/loop.yaml': (res) => res.writeHead(302, { location: '/loop.yaml' }).end(),
    '/declared-big.yaml': (res, h) => stream(res, h, MB + 1, true),
    '/endless.yaml': (res, h) => stream(res, h, 64 * MB, false),
    '/exactly-1mb.yaml': (res) =>
      res.end(Buffer.concat([Buffer.from(template), Buffer.alloc(MB - Buffer.byteLength(template), '\n')])),
  });
});
afterAll(async () => {
  await templates?.close();
  await elsewhere?.close();
});

async function publish(url: string) {
  const ws = await workspace();
  const before = await snapshot(ws.channels);
  const result = await runRackBinary(['channel', 'publish', '1.5.0', '--template', url, '--channels', ws.channels], {
    RACK_HOME: ws.home,
    NODE_EXTRA_CA_CERTS: certificate,
  });
  return { ws, before, result };
}

describe('an https:// template', () => {
  it('is published from its URL, following redirects on the same host', async () => {
    const { ws, result } = await publish(`${templates.url}/moved.yaml`);
    expect(result.code, result.stderr).toBe(0);
    expect(await ws.read('catalog.yaml')).toContain(
      `template: ${templates.url}/moved.yaml\n    sha256: ${createHash('sha256').update(template).digest('hex')}`,
    );
  });

  it('is refused when a redirect leads to another host or port, which is never asked', async () => {
    const { ws, before, result } = await publish(`${templates.url}/elsewhere.yaml`);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `The template cannot be read: ${templates.url}/elsewhere.yaml redirects to ${elsewhere.url}, another host; rack follows redirects on the same host only.`,
    );
    expect(elsewhere.requests).toEqual([]);
    expect(await snapshot(ws.channels)).toEqual(before);
  });

  it('is refused when a redirect leaves https, or never ends', async () => {
    const insecure = await publish(`${templates.url}/insecure.yaml`);
    expect(insecure.result.code).toBe(3);
    expect(insecure.result.stderr).toContain(`redirects to ${templates.url.replace('https:', 'http:')}, another host`);
    const loop = await publish(`${templates.url}/loop.yaml`);
    expect(loop.result.code).toBe(3);
    expect(loop.result.stderr).toContain(`${templates.url}/loop.yaml redirects more than 5 times`);
  });

  it('is refused when it is larger than 1,000,000 bytes, declared or not, without reading it to its end', async () => {
    const declared = await publish(`${templates.url}/declared-big.yaml`);
    expect(declared.result.code).toBe(3);
    expect(declared.result.stderr).toContain(
      `${templates.url}/declared-big.yaml is larger than 1,000,000 bytes (${MB + 1} bytes), the most CloudFormation accepts for a template`,
    );
    expect(await snapshot(declared.ws.channels)).toEqual(declared.before);

    const endless = await publish(`${templates.url}/endless.yaml`);
    expect(endless.result.code).toBe(3);
    expect(endless.result.stderr).toContain(
      `${templates.url}/endless.yaml is larger than 1,000,000 bytes, the most CloudFormation`,
    );
    expect(templates.written).toBeLessThan(16 * MB);
  });

  it('of exactly 1,000,000 bytes is read', async () => {
    const { result } = await publish(`${templates.url}/exactly-1mb.yaml`);
    expect(result.code, result.stderr).toBe(0);
  });
});
