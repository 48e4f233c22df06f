/**
 * A fault-injecting HTTP proxy on loopback, between the SDK and moto. Failures that moto cannot produce
 * (throttling, 5xx, dropped connections, latency) come from here, driven by the test; every request is
 * recorded, so a test can count the SDK's attempts.
 *
 * Rules are tried in the order they were injected. `latency` waits and lets later rules act; every other
 * fault answers the request itself. A `handle` rule gets the request and a `forward` function, so a later
 * feature (scripted timelines) can answer from its own state, forward now, or forward a write later.
 * A `signal` rule signals a process (the rack binary under test) at a chosen request: kill points.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  awsError,
  expiredTokenError,
  identify,
  serverErrorCode,
  throttleError,
  type WireIdentity,
  type WireResponse,
} from './awsWire.js';

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

/**
 * `killed`: a SIGKILL rule killed the client and the request was never answered (see `reachedMoto`). A
 * SIGINT/SIGTERM rule leaves the outcome to what answered the request after it; `signal` says it acted.
 */
export type ProxyOutcome =
  | 'forwarded'
  | 'throttled'
  | 'status'
  | 'expired'
  | 'dropped'
  | 'handled'
  | 'killed'
  | 'failed';

export type ProcessSignal = 'SIGKILL' | 'SIGINT' | 'SIGTERM';

/** What a `signal` rule did. */
export interface SignalRecord {
  /** The rule that signalled. */
  readonly rule: string;
  readonly signal: ProcessSignal;
  readonly when: 'before-forward' | 'after-forward';
  /** The process signalled; undefined if `pid()` named none. */
  readonly pid?: number;
  /** Why no signal was delivered (no pid, or the process was already gone); the request then went on as usual. */
  readonly error?: string;
}

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
  /** The request itself (as the client sent it) was forwarded to moto: the write happened (a timeline's held write: once applied). */
  reachedMoto?: boolean;
  /** Set when a `signal` rule acted on this request. */
  signal?: SignalRecord;
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
  /**
   * The error AWS gives for expired temporary credentials, in the protocol's form: query `ExpiredToken` 403,
   * JSON `ExpiredTokenException` 400, S3 `ExpiredToken` 400, EC2 `RequestExpired` 400. Not retried by the SDK.
   */
  | { type: 'expired-token'; message?: string }
  /**
   * Signal a process at this request (a kill point). `SIGKILL`: `before-forward` (default) kills it and never
   * forwards (moto never sees the request); `after-forward` forwards (the write happens), then kills it before
   * it hears the answer. `SIGINT`/`SIGTERM`: the signal is delivered at that point and the request then goes
   * on as usual (before-forward: signal, forward, answer; after-forward: forward, signal, answer): the
   * process is expected to react to the signal itself; the request waits `settleMs` (default 100) after the
   * signal, so that the process has handled it before its answer arrives. `pid` is read when the rule acts.
   * "Forward" is the rest of the rules (a scripted timeline taking the request), then moto.
   */
  | {
      type: 'signal';
      pid: () => number | undefined;
      signal: ProcessSignal;
      when?: 'before-forward' | 'after-forward';
      settleMs?: number;
    }
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
  /**
   * Let the first `skip` matching requests pass untouched (on to later rules, then moto); act from the next
   * one: `{ action: 'ExecuteChangeSet', skip: 1, times: 1 }` acts on the 2nd ExecuteChangeSet only.
   */
  skip?: number;
  /**
   * Act only for this many milliseconds from the first request the rule acts on; afterwards let everything
   * through (e.g. S3 failing for 30 s: `{ service: 's3', forMs: 30_000, fault: { type: 'status', status: 503 } }`).
   */
  forMs?: number;
  /**
   * Stay dormant until: a number, that many milliseconds after inject(); a predicate, the first request
   * (any request, whatever rule answers it) for which it holds: the rule acts on requests after that one.
   */
  after?: number | ((request: ProxiedRequest) => boolean);
  /**
   * Try this rule before every rule already injected (a later `first` rule goes before it in turn). Kill
   * points use it so that they act before a scripted timeline takes the request.
   */
  first?: boolean;
  fault: Fault;
}

export interface InjectedRule {
  readonly name: string;
  /** How many requests it has acted on. */
  readonly hits: number;
  /** How many requests matched it while it was armed and in its window (those it skipped included). */
  readonly matched: number;
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

type Reply = WireResponse | typeof DROP;

/** One request on its way down the rules. */
interface Exchange {
  readonly request: ProxiedRequest;
  readonly record: RecordedRequest;
  /** The rules as they were when it arrived, in order. */
  readonly chain: readonly ActiveRule[];
}

interface ActiveRule {
  readonly rule: FaultRule;
  readonly name: string;
  readonly injectedAt: number;
  hits: number;
  matched: number;
  /** The seq of the request a predicate `after` held for: the rule acts on later requests only. */
  armedBy?: number;
  /** When the rule first acted: the start of its `forMs` window. */
  firstActedAt?: number;
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

  const forwardToMoto = (
    request: ProxiedRequest,
    record: RecordedRequest,
    override: ForwardOverride = {},
  ): Promise<WireResponse> => {
    if (override.body === undefined) record.reachedMoto = true;
    return forward(
      agent,
      target,
      request.method,
      request.url,
      { ...request.headers, ...override.headers },
      toBuffer(override.body ?? request.body),
    );
  };

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
      // Every rule waiting for its `after` request sees every request, whichever rule answers it.
      for (const active of rules) arm(active, request);
      const reply = await pass({ request, record, chain: [...rules] }, 0);
      if (reply === DROP) res.socket?.destroy();
      else send(res, record, reply);
    } catch (error) {
      record.outcome = 'failed';
      record.error = error instanceof Error ? error.message : String(error);
      const failure = awsError(request.protocol, 500, 'InternalFailure', `harness proxy: ${record.error}`);
      if (!res.headersSent && !res.destroyed) send(res, record, failure);
    }
  }

  /** The reply of the rules from `from` on (the chain as it was when the request arrived), else moto's. */
  async function pass(exchange: Exchange, from: number): Promise<Reply> {
    const { request, record, chain } = exchange;
    for (let index = from; index < chain.length; index++) {
      const active = chain[index]!;
      if (!acts(active, request)) continue;
      active.hits += 1;
      const { fault } = active.rule;
      if (fault.type === 'latency') {
        await delay(fault.ms);
        continue;
      }
      record.rule = active.name;
      return applyFault(fault, exchange, active, index);
    }
    record.outcome = 'forwarded';
    return forwardToMoto(request, record);
  }

  async function applyFault(fault: Fault, exchange: Exchange, active: ActiveRule, index: number): Promise<Reply> {
    const { request, record } = exchange;
    switch (fault.type) {
      case 'throttle':
        record.outcome = 'throttled';
        return throttleError(request.protocol, fault.message);
      case 'status':
        record.outcome = 'status';
        return awsError(
          request.protocol,
          fault.status,
          fault.code ?? serverErrorCode(request.protocol, fault.status),
          fault.message ?? 'We encountered an internal error. Please try again.',
        );
      case 'expired-token':
        record.outcome = 'expired';
        return expiredTokenError(request.protocol, fault.message);
      case 'drop':
        if (fault.when === 'after-forward') await forwardToMoto(request, record);
        record.outcome = 'dropped';
        return DROP;
      case 'signal':
        return signalAt(fault, exchange, active, index);
      case 'handle': {
        const answer = await fault.handler(request, request.body, (override) =>
          forwardToMoto(request, record, override),
        );
        record.outcome = answer === DROP ? 'dropped' : 'handled';
        return answer;
      }
      case 'latency':
        return pass(exchange, index + 1);
    }
  }

  /**
   * "Forward" here means the rest of the chain: later rules (a scripted timeline taking an execute) or moto.
   * A SIGINT/SIGTERM leaves the request to them; the record keeps their outcome and the signal.
   */
  async function signalAt(
    fault: Extract<Fault, { type: 'signal' }>,
    exchange: Exchange,
    active: ActiveRule,
    index: number,
  ): Promise<Reply> {
    const { record } = exchange;
    const when = fault.when ?? 'before-forward';
    const kill = fault.signal === 'SIGKILL';
    // A handled signal reaches the process's event loop as one more event: give it time to come first.
    const settle = (): Promise<void> => delay(fault.settleMs ?? 100);
    if (when === 'before-forward') {
      const delivered = deliver(fault, when, active, record);
      if (delivered && kill) {
        // SIGKILL is final once kill() returns: the client runs no more code, so nothing is sent on.
        record.outcome = 'killed';
        return DROP;
      }
      if (delivered) await settle();
      return pass(exchange, index + 1);
    }
    const reply = await pass(exchange, index + 1);
    const delivered = deliver(fault, when, active, record);
    if (delivered && kill) {
      // Whatever answered it (moto, a timeline), the client got nothing: this rule had the last word.
      record.rule = active.name;
      record.outcome = 'killed';
      return DROP;
    }
    if (delivered) await settle();
    return reply;
  }

  function deliver(
    fault: Extract<Fault, { type: 'signal' }>,
    when: 'before-forward' | 'after-forward',
    active: ActiveRule,
    record: RecordedRequest,
  ): boolean {
    const base = { rule: active.name, signal: fault.signal, when };
    const pid = fault.pid();
    if (pid === undefined) {
      record.signal = { ...base, error: 'no process to signal (pid() gave none)' };
      return false;
    }
    try {
      process.kill(pid, fault.signal);
      record.signal = { ...base, pid };
      return true;
    } catch (error) {
      record.signal = { ...base, pid, error: error instanceof Error ? error.message : String(error) };
      return false;
    }
  }

  function arm(active: ActiveRule, request: ProxiedRequest): void {
    const { after } = active.rule;
    if (active.armedBy === undefined && typeof after === 'function' && after(request)) active.armedBy = request.seq;
  }

  function acts(active: ActiveRule, request: ProxiedRequest): boolean {
    const { rule } = active;
    if (rule.times !== undefined && active.hits >= rule.times) return false;
    if (!dormantOver(active, request)) return false;
    if (!matches(rule, request)) return false;
    if (rule.when !== undefined && !rule.when(request)) return false;
    const now = Date.now();
    if (rule.forMs !== undefined && active.firstActedAt !== undefined && now - active.firstActedAt >= rule.forMs)
      return false;
    active.matched += 1;
    if (rule.skip !== undefined && active.matched <= rule.skip) return false;
    if (rule.probability !== undefined && random() >= rule.probability) return false;
    active.firstActedAt ??= now;
    return true;
  }

  function dormantOver(active: ActiveRule, request: ProxiedRequest): boolean {
    const { after } = active.rule;
    if (after === undefined) return true;
    if (typeof after === 'number') return Date.now() - active.injectedAt >= after;
    return active.armedBy !== undefined && request.seq > active.armedBy;
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
      const active: ActiveRule = {
        rule,
        name: rule.name ?? `${rule.fault.type}#${++ruleCount}`,
        injectedAt: Date.now(),
        hits: 0,
        matched: 0,
      };
      rules = rule.first === true ? [active, ...rules] : [...rules, active];
      return {
        name: active.name,
        get hits() {
          return active.hits;
        },
        get matched() {
          return active.matched;
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
  delete outgoing.expect;
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
