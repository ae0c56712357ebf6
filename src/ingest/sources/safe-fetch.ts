import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import zlib from 'node:zlib';

/**
 * The fetcher behind website and help-centre sources. It is not an open proxy: source URLs come from admins,
 * but pages link anywhere and DNS answers change, so every connection is checked on the address it actually
 * connects to (the `lookup` the socket uses, redirects included): loopback, private, link-local, CGNAT,
 * multicast and metadata ranges are refused unless SOURCE_FETCH_ALLOW names the host or range. Each response
 * is capped in time and bytes (compressed and decompressed); credentials go only to their own origin.
 */

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

export interface FetchPolicy {
  /** Host names allowed whatever they resolve to. */
  hosts: Set<string>;
  /** Address ranges allowed although not public. */
  ranges: BlockList;
}

/** SOURCE_FETCH_ALLOW: `127.0.0.1,10.0.0.0/8,help.internal`. */
export function parseFetchAllow(text: string): FetchPolicy {
  const hosts = new Set<string>();
  const ranges = new BlockList();
  for (const entry of text
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean)) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (family && prefix !== undefined) ranges.addSubnet(address, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
    else if (family) ranges.addAddress(address, family === 6 ? 'ipv6' : 'ipv4');
    else hosts.add(entry);
  }
  return { hosts, ranges };
}

export class FetchRefusedError extends Error {
  override name = 'FetchRefusedError';
}

/** Why an address may not be reached, or undefined when it may. */
export function refusedAddress(address: string, policy: FetchPolicy): string | undefined {
  const family = isIP(address);
  if (!family) return `not an address: ${address}`;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const mapped = type === 'ipv6' ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
  if (mapped) return refusedAddress(mapped, policy);
  if (policy.ranges.check(address, type)) return undefined;
  if (NOT_PUBLIC.check(address, type)) return `${address} is not a public address (SOURCE_FETCH_ALLOW can allow it)`;
  return undefined;
}

function guardedLookup(policy: FetchPolicy, host: string): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const allowedHost = policy.hosts.has(host.toLowerCase());
      const usable = allowedHost ? addresses : addresses.filter((entry) => !refusedAddress(entry.address, policy));
      if (usable.length === 0)
        return callback(
          new FetchRefusedError(`${hostname} resolves to ${addresses.map((entry) => entry.address).join(', ')}: ${refusedAddress(addresses[0]?.address ?? '', policy) ?? 'no address'}`),
          '',
          0,
        );
      if (options.all) return callback(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  }) as LookupFunction;
}

export interface FetchOptions {
  policy: FetchPolicy;
  userAgent: string;
  timeoutMs: number;
  maxBytes: number;
  headers?: Record<string, string>;
  /** Extra headers (an API token) sent only to this origin, never to a host a redirect leads to. */
  credentials?: { origin: string; headers: Record<string, string> };
  agents?: { http: http.Agent; https: https.Agent };
}

export interface FetchedResponse {
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Bytes received on the wire (before decompression). */
  wireBytes: number;
}

export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

/** One request, no redirects followed: the caller decides whether a Location is in scope. */
export function fetchOnce(target: string, options: FetchOptions): Promise<FetchedResponse> {
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new FetchRefusedError(`not an http(s) URL: ${target}`));
  if (url.username || url.password) return Promise.reject(new FetchRefusedError('URLs with credentials are not fetched'));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address never reaches the lookup: judge it here.
  if (isIP(host) && !options.policy.hosts.has(host)) {
    const reason = refusedAddress(host, options.policy);
    if (reason) return Promise.reject(new FetchRefusedError(reason));
  }
  const own = options.credentials && url.origin === options.credentials.origin ? options.credentials.headers : {};
  const headers = { 'user-agent': options.userAgent, 'accept-encoding': 'gzip, deflate, br', ...options.headers, ...own };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = client.request(
      url,
      {
        method: 'GET',
        headers,
        lookup: guardedLookup(options.policy, host),
        agent: options.agents ? (url.protocol === 'https:' ? options.agents.https : options.agents.http) : undefined,
      },
      (response) => {
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) return fail(new ResponseTooLargeError(`${declared} bytes, over the ${options.maxBytes}-byte limit`));
        let wireBytes = 0;
        response.on('data', (chunk: Buffer) => {
          wireBytes += chunk.length;
          if (wireBytes > options.maxBytes) fail(new ResponseTooLargeError(`over the ${options.maxBytes}-byte limit`));
        });
        const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
        // Decompressed bytes are capped too: a small gzip bomb must not fill the memory.
        const decoder =
          encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : encoding === 'br' ? zlib.createBrotliDecompress() : undefined;
        const stream = decoder ? response.pipe(decoder) : response;
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) return fail(new ResponseTooLargeError(`over the ${options.maxBytes}-byte limit once decompressed`));
          chunks.push(chunk);
        });
        stream.on('error', (error) => fail(error));
        response.on('error', (error) => fail(error));
        stream.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ url: url.href, status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), wireBytes });
        });
      },
    );
    const timer = setTimeout(() => fail(new Error(`no complete response within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on('error', (error) => fail(error));
    request.end();
  });
}

/** Keep-alive agents for one sync (their sockets were checked when they connected). */
export function createAgents(maxSockets: number) {
  return { http: new http.Agent({ keepAlive: true, maxSockets }), https: new https.Agent({ keepAlive: true, maxSockets }) };
}

/** Retry-After in seconds (a number or an HTTP date), or undefined. */
export function retryAfterSeconds(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - now) / 1000)) : undefined;
}
