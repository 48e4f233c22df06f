/**
 * A fault-injecting HTTP proxy on loopback, between the SDK and moto. Failures that moto cannot produce
 * (throttling, 5xx, dropped connections, latency) come from here, driven by the test; every request is
 * recorded, so a test can count the SDK's attempts.
 *
 * Rules are tried in the order they were injected. `latency` waits and lets later rules act; every other
 * fault answers the request itself. A `handle` rule gets the request and a `forward` function, so a later
 * feature (scripted timelines) can answer from its own state, forward now, or forward a write later.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsError, identify, serverErrorCode, throttleError, type WireIdentity, type WireResponse } from './awsWire.js';

export type { WireProtocol, WireResponse } from './awsWire.js';
export { awsError } from './awsWire.js';

/** A request as the proxy received it, identified. */
export interface ProxiedRequest extends WireIdentity {
  /** 1, 2, 3, … in arrival order. */
  readonly seq: number;
  readonly method: string;
  /** Path and query string, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export type ProxyOutcome = 'forwarded' | 'throttled' | 'status' | 'dropped' | 'handled' | 'failed';

/** One request in the proxy's log: what arrived and what the client got. */
export interface RecordedRequest {
  readonly seq: number;
  readonly service: string;
  readonly action: string;
  readonly method: string;
  readonly url: string;
  /** Date.now() when the request arrived. */
  readonly startedAt: number;
  /** How long until the client got its answer (or its socket was dropped); undefined while in flight. */
  durationMs?: number;
  /** The HTTP status the client got; undefined if it got none (dropped, or still in flight). */
  status?: number;
  outcome?: ProxyOutcome;
  /** The name of the rule that answered it, if one did. */
  rule?: string;
  /** Why the proxy itself failed to answer (moto unreachable, a handler threw). */
  error?: string;
}

/** Changes to the request sent to moto, for a handler that forwards something else. */
export interface ForwardOverride {
  /** Replaces the body (content-length follows). */
  body?: Buffer | string;
  /** Merged over the request's headers. */
  headers?: http.IncomingHttpHeaders;
}

export type Forward = (override?: ForwardOverride) => Promise<WireResponse>;

/** Answer the request; resolve to DROP to destroy the client's socket instead. */
export type Handler = (request: ProxiedRequest, body: Buffer, forward: Forward) => Promise<WireResponse | typeof DROP>;

export const DROP: unique symbol = Symbol('drop');

export type Fault =
  /** AWS's own throttling error for the protocol: `Throttling` 400, `ThrottlingException` 400, S3 `SlowDown` 503, EC2 `RequestLimitExceeded` 503. */
  | { type: 'throttle'; message?: string }
  /** A server error with this status, in the service's format (`InternalFailure`, `ServiceUnavailable`, …) unless `code` is given. */
  | { type: 'status'; status: number; code?: string; message?: string }
  /**
   * Destroy the client's socket. `before-forward` (default): moto never sees the request.
   * `after-forward`: moto has done it, but the client never hears.
   */
  | { type: 'drop'; when?: 'before-forward' | 'after-forward' }
  /** Wait, then let later rules act (or forward). */
  | { type: 'latency'; ms: number }
  | { type: 'handle'; handler: Handler };

export interface FaultRule {
  /** Shown in the log (`RecordedRequest.rule`); defaults to the fault's type and a number. */
  name?: string;
  /** SigV4 signing name, e.g. `cloudformation`, `s3`, `ecs`. */
  service?: string;
  action?: string | RegExp | readonly string[];
  when?: (request: ProxiedRequest) => boolean;
  /** Act on at most this many matching requests; by default on every one. */
  times?: number;
  /** Act on a matching request with this probability, drawn from the proxy's seeded random. */
  probability?: number;
  fault: Fault;
}

export interface InjectedRule {
  readonly name: string;
  /** How many requests it has acted on. */
  readonly hits: number;
  remove(): void;
}

export interface RequestMatch {
  service?: string;
  action?: string | RegExp | readonly string[];
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: the endpoint SDK clients use. */
  readonly url: string;
  readonly port: number;
  /** Every request received since start (or the last clear), oldest first. */
  readonly requests: readonly RecordedRequest[];
  inject(rule: FaultRule): InjectedRule;
  /** The recorded requests that match. */
  seen(match?: RequestMatch): RecordedRequest[];
  /** Removes every rule, forgets the recorded requests and restarts the random from its seed. */
  clear(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Where requests go: `http://127.0.0.1:<moto port>`. */
  target: string;
  /** Seed of the random that `probability` draws from; the same seed and requests give the same faults. */
  seed?: number;
}

interface ActiveRule {
  readonly rule: FaultRule;
  readonly name: string;
  hits: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const agent = new http.Agent({ keepAlive: true });
  const seed = options.seed ?? 0x5eed;
  let random = seededRandom(seed);
  let rules: ActiveRule[] = [];
  let requests: RecordedRequest[] = [];
  let seq = 0;
  let ruleCount = 0;

  const forwardToMoto = (request: ProxiedRequest, override: ForwardOverride = {}): Promise<WireResponse> =>
    forward(
      agent,
      target,
      request.method,
      request.url,
      { ...request.headers, ...override.headers },
      toBuffer(override.body ?? request.body),
    );

  const server = http.createServer((req, res) => {
    readBody(req).then(
      async (body) => {
        const identity = identify(req.method ?? 'GET', req.url ?? '/', req.headers, body);
        const request: ProxiedRequest = {
          ...identity,
          seq: ++seq,
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body,
        };
        const record: RecordedRequest = {
          seq: request.seq,
          service: request.service,
          action: request.action,
          method: request.method,
          url: request.url,
          startedAt: Date.now(),
        };
        requests.push(record);
        await answer(request, record, res);
        record.durationMs = Date.now() - record.startedAt;
      },
      () => res.destroy(),
    );
  });

  async function answer(request: ProxiedRequest, record: RecordedRequest, res: http.ServerResponse): Promise<void> {
    try {
      for (const active of rules) {
        if (!acts(active, request)) continue;
        active.hits += 1;
        const { fault } = active.rule;
        if (fault.type === 'latency') {
          await delay(fault.ms);
          continue;
        }
        record.rule = active.name;
        await applyFault(fault, request, record, res);
        return;
      }
      record.outcome = 'forwarded';
      send(res, record, await forwardToMoto(request));
    } catch (error) {
      record.outcome = 'failed';
      record.error = error instanceof Error ? error.message : String(error);
      const failure = awsError(request.protocol, 500, 'InternalFailure', `harness proxy: ${record.error}`);
      if (!res.headersSent && !res.destroyed) send(res, record, failure);
    }
  }

  async function applyFault(
    fault: Fault,
    request: ProxiedRequest,
    record: RecordedRequest,
    res: http.ServerResponse,
  ): Promise<void> {
    switch (fault.type) {
      case 'throttle':
        record.outcome = 'throttled';
        return send(res, record, throttleError(request.protocol, fault.message));
      case 'status':
        record.outcome = 'status';
        return send(
          res,
          record,
          awsError(
            request.protocol,
            fault.status,
            fault.code ?? serverErrorCode(request.protocol, fault.status),
            fault.message ?? 'We encountered an internal error. Please try again.',
          ),
        );
      case 'drop':
        if (fault.when === 'after-forward') await forwardToMoto(request);
        record.outcome = 'dropped';
        res.socket?.destroy();
        return;
      case 'handle': {
        const answer = await fault.handler(request, request.body, (override) => forwardToMoto(request, override));
        if (answer === DROP) {
          record.outcome = 'dropped';
          res.socket?.destroy();
          return;
        }
        record.outcome = 'handled';
        return send(res, record, answer);
      }
      case 'latency':
        return;
    }
  }

  function acts(active: ActiveRule, request: ProxiedRequest): boolean {
    const { rule } = active;
    if (rule.times !== undefined && active.hits >= rule.times) return false;
    if (!matches(rule, request)) return false;
    if (rule.when !== undefined && !rule.when(request)) return false;
    return rule.probability === undefined || random() < rule.probability;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // The SDK keeps connections alive; a server that closes them first makes the SDK retry on a dead socket.
  server.keepAliveTimeout = 60_000;
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    inject(rule) {
      const active: ActiveRule = { rule, name: rule.name ?? `${rule.fault.type}#${++ruleCount}`, hits: 0 };
      rules.push(active);
      return {
        name: active.name,
        get hits() {
          return active.hits;
        },
        remove: () => {
          rules = rules.filter((r) => r !== active);
        },
      };
    },
    seen: (match = {}) => requests.filter((r) => matches(match, r)),
    clear() {
      rules = [];
      requests = [];
      random = seededRandom(seed);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

function matches(match: RequestMatch, request: { service: string; action: string }): boolean {
  if (match.service !== undefined && match.service !== request.service) return false;
  const { action } = match;
  if (action === undefined) return true;
  if (typeof action === 'string') return action === request.action;
  if (action instanceof RegExp) return action.test(request.action);
  return action.includes(request.action);
}

function forward(
  agent: http.Agent,
  target: URL,
  method: string,
  url: string,
  headers: http.IncomingHttpHeaders,
  body: Buffer,
): Promise<WireResponse> {
  // Host passes through untouched: it is part of the SigV4 signature, and moto reads it to tell
  // path-style S3 requests from virtual-hosted ones.
  const outgoing = withoutHopByHop(headers);
  // The body is already here, whole: nothing to wait for.
  delete outgoing['expect'];
  outgoing['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, method, path: url, headers: outgoing, agent },
      (res) => {
        void readBody(res).then(
          (responseBody) =>
            resolve({ status: res.statusCode ?? 502, headers: withoutHopByHop(res.headers), body: responseBody }),
          reject,
        );
      },
    );
    req.once('error', (error) => reject(new Error(`moto did not answer ${method} ${url}: ${error.message}`)));
    req.end(body);
  });
}

function send(res: http.ServerResponse, record: RecordedRequest, response: WireResponse): void {
  record.status = response.status;
  const headers = withoutHopByHop(response.headers);
  // A HEAD answer's content-length describes the object, not this (empty) body.
  const bodyless = res.req.method === 'HEAD' || response.status === 204 || response.status === 304;
  if (!bodyless) headers['content-length'] = String(response.body.length);
  res.writeHead(response.status, headers);
  res.end(bodyless ? undefined : response.body);
}

function withoutHopByHop(
  headers: http.IncomingHttpHeaders | Record<string, string | string[]>,
): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) kept[name] = value;
  }
  return kept;
}

function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function toBuffer(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : body;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** mulberry32: small, fast and deterministic; enough to pick which requests fail. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
