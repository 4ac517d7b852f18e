// Browser mode: serves the built renderer and the LabApi (over a WebSocket) on
// 127.0.0.1 only. A random token is part of the printed URL; every request
// must carry it (in the query, or in the cookie set by the first page load),
// the Host header must name this server (no DNS rebinding) and the WebSocket's
// Origin must be this server (no cross-site sockets). Calls go through the
// same LabBackend as the app's IPC, so they are schema-checked the same way.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentSecurityPolicy } from '../common/csp.js';
import { MAX_UPLOAD_BYTES } from '../common/lab-schema.js';
import { decodeFrame, encodeFrame } from '../common/wire.js';
import type { LabBackend } from './lab-backend.js';
import { streamUpload } from './uploads.js';

export interface LabServerOptions {
  backend: LabBackend;
  /** The built renderer (index.html and assets/). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token (tests); default 24 random bytes. */
  token?: string;
  /** Where POST /upload stores matrix files the page streams up (no uploads without it). */
  uploadsDir?: string;
}

export interface LabServer {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

function sameToken(a: string | undefined | null, token: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'lab_token') return v.join('=');
  }
  return undefined;
}

export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = resolve(opts.rendererDir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`the renderer is not built (${join(root, 'index.html')} is missing): run \`npm run build:renderer\` first`);
  }
  let port = 0;
  const hostOk = (req: IncomingMessage): boolean => req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
  const authorised = (req: IncomingMessage, url: URL): boolean => sameToken(url.searchParams.get('token'), token) || sameToken(cookieToken(req), token);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostOk(req)) return refuse(res, 421, 'wrong host');
    if (!authorised(req, url)) return refuse(res, 403, 'this lab needs the token from the URL it printed');
    if (req.method === 'POST' && url.pathname === '/upload') return void upload(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    serveStatic(root, url.pathname, res, token, port);
  });

  /**
   * A matrix file streamed up by the page (fetch POST with the file as body):
   * same origin only (the Origin header and a custom header a cross-site form
   * cannot send), bounded in size, written to uploadsDir; answers its path.
   */
  const upload = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const originOk = req.headers.origin === `http://127.0.0.1:${port}` || req.headers.origin === `http://localhost:${port}`;
    if (!opts.uploadsDir || !originOk || req.headers['x-lab-upload'] !== '1') return refuse(res, 403, 'uploads come from the lab page only');
    const name = url.searchParams.get('name') ?? '';
    if (!name || name.length > 255) return refuse(res, 400, 'upload: expected ?name=<file name> (1..255 characters)');
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_UPLOAD_BYTES) return refuse(res, 413, `upload: ${name} is larger than ${MAX_UPLOAD_BYTES} bytes`);
    try {
      const path = await streamUpload(opts.uploadsDir, name, req, MAX_UPLOAD_BYTES);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ path }));
    } catch (e) {
      refuse(res, 400, `upload: ${(e as Error).message}`);
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_UPLOAD_BYTES + (1 << 20), perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const originOk = origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/lab' || !hostOk(req) || !originOk || !authorised(req, url)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, opts.backend));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close: () =>
      new Promise<void>((done) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}

function serveStatic(root: string, pathname: string, res: ServerResponse, token: string, port: number): void {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = normalize(join(root, rel));
  if (file !== root && !file.startsWith(root + sep)) return refuse(res, 404, 'not found');
  if (!existsSync(file) || !statSync(file).isFile()) return refuse(res, 404, 'not found');
  const headers: Record<string, string> = {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
  if (extname(file) === '.html') {
    headers['content-security-policy'] = contentSecurityPolicy(`'self' ws://127.0.0.1:${port} ws://localhost:${port}`);
    // Later requests (assets, the socket) carry the token in this cookie, so the URL can drop it.
    headers['set-cookie'] = `lab_token=${token}; Path=/; HttpOnly; SameSite=Strict`;
  }
  res.writeHead(200, headers);
  res.end(readFileSync(file));
}

function serveSocket(ws: WebSocket, backend: LabBackend): void {
  const send = (msg: unknown): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(msg));
  };
  const off = backend.onEvent((event) => send({ type: 'event', event }));
  ws.on('close', off);
  ws.on('message', (data, isBinary) => {
    let msg: { type?: unknown; id?: unknown; method?: unknown; params?: unknown };
    try {
      if (!isBinary) throw new Error('expected a binary frame');
      const buf = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      msg = decodeFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)) as typeof msg;
    } catch (e) {
      send({ type: 'error', error: `malformed message: ${(e as Error).message}` });
      return;
    }
    if (!msg || msg.type !== 'call' || typeof msg.id !== 'number') {
      send({ type: 'error', error: 'malformed message: expected {type: "call", id, method, params}' });
      return;
    }
    const id = msg.id;
    backend.call(msg.method, msg.params).then(
      (value) => send({ type: 'result', id, ok: true, value }),
      (e: unknown) => send({ type: 'result', id, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  });
}
