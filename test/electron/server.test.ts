// Browser mode's server: bound to 127.0.0.1, refuses requests without the
// token, refuses foreign Host headers and cross-site sockets, and answers
// LabApi calls over the socket with the same schema checks as the app.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { LabEvent } from '../../electron/common/lab-api.js';
import { decodeFrame, encodeFrame } from '../../electron/common/wire.js';
import type { ComputeHostClient } from '../../electron/services/host-client.js';
import { LabBackend } from '../../electron/services/lab-backend.js';
import { startLabServer, type LabServer } from '../../electron/services/server.js';

/** A stand-in compute host that records what reaches it. */
class FakeHost {
  calls: { method: string; params: unknown }[] = [];
  listeners = new Set<(e: LabEvent) => void>();
  async call(method: string, params: unknown): Promise<unknown> {
    this.calls.push({ method, params });
    if (method === 'listMatrices') return [];
    if (method === 'info') return { mode: 'browser', versions: { node: process.versions.node }, capabilities: { pdf: false, filePaths: false } };
    return { ok: true };
  }
  onEvent(l: (e: LabEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function connect(url: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function callOver(ws: WebSocket, id: number, method: string, params: unknown): Promise<{ ok: boolean; value?: unknown; error?: string }> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer): void => {
      const msg = decodeFrame(new Uint8Array(data)) as { type: string; id: number; ok: boolean; value?: unknown; error?: string };
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(encodeFrame({ type: 'call', id, method, params }));
  });
}

describe('browser-mode server', () => {
  let dir: string;
  let server: LabServer;
  const host = new FakeHost();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lab-srv-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>lab</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    const backend = new LabBackend(host as unknown as ComputeHostClient, { mode: 'browser', capabilities: { pdf: false, filePaths: false } });
    server = await startLabServer({ backend, rendererDir: dir, uploadsDir: join(dir, 'uploads') });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a 127.0.0.1 URL with a long random token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('refuses requests without the token or with a wrong one', async () => {
    assert.equal((await get(`${server.origin}/`)).status, 403);
    assert.equal((await get(`${server.origin}/assets/app.js`)).status, 403);
    assert.equal((await get(`${server.origin}/?token=${'x'.repeat(server.token.length)}`)).status, 403);
    assert.equal((await get(`${server.origin}/`, { cookie: 'lab_token=nope' })).status, 403);
  });

  it('serves the page with the token, sets the cookie and a strict CSP; assets then need only the cookie', async () => {
    const page = await get(server.url);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'; .*object-src 'none'.*frame-ancestors 'none'/);
    assert.match(String(page.headers['set-cookie']), /lab_token=.*HttpOnly; SameSite=Strict/);
    const asset = await get(`${server.origin}/assets/app.js`, { cookie: `lab_token=${server.token}` });
    assert.equal(asset.status, 200);
    assert.equal(asset.body, 'console.log(1)');
    assert.equal((await get(`${server.origin}/assets/../../etc/passwd?token=${server.token}`)).status, 404);
    assert.equal((await get(`${server.origin}/%2e%2e/%2e%2e/etc/passwd?token=${server.token}`)).status, 404);
  });

  it('takes a matrix file streamed up by the page, and only from the page', async () => {
    const text = '%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 2.5\n';
    const page = { cookie: `lab_token=${server.token}`, origin: server.origin, 'x-lab-upload': '1' };
    const ok = await post(`${server.origin}/upload?name=tiny.mtx`, text, page);
    assert.equal(ok.status, 200, ok.body);
    const { path } = JSON.parse(ok.body) as { path: string };
    assert.ok(path.startsWith(join(dir, 'uploads')) && path.endsWith('/tiny.mtx'));
    assert.equal(readFileSync(path, 'utf8'), text);
    // The name cannot climb out of the uploads folder.
    const sneaky = JSON.parse((await post(`${server.origin}/upload?name=${encodeURIComponent('../../x.mtx')}`, text, page)).body) as { path: string };
    assert.ok(sneaky.path.startsWith(join(dir, 'uploads')) && sneaky.path.endsWith('/x.mtx'));
    assert.equal((await post(`${server.origin}/upload?name=a.mtx`, text, { ...page, cookie: 'lab_token=nope' })).status, 403);
    assert.equal((await post(`${server.origin}/upload?name=a.mtx`, text, { ...page, origin: 'http://evil.example' })).status, 403);
    // A cross-site form cannot set the custom header.
    assert.equal((await post(`${server.origin}/upload?name=a.mtx`, text, { cookie: page.cookie, origin: page.origin })).status, 403);
    assert.equal((await post(`${server.origin}/upload`, text, page)).status, 400);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    assert.equal((await get(server.url, { host: `evil.example:${server.port}` })).status, 421);
  });

  it('refuses sockets without the token or from another origin', async () => {
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/lab`, server.origin), /refused with 403/);
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/lab?token=${server.token}`, 'http://evil.example'), /refused with 403/);
  });

  it('answers LabApi calls over the socket, refusing malformed ones before the host sees them', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/lab?token=${server.token}`, server.origin);
    try {
      host.calls = [];
      assert.deepEqual(await callOver(ws, 1, 'listMatrices', {}), { type: 'result', id: 1, ok: true, value: [] });
      const bad = await callOver(ws, 2, 'openMatrix', { source: { kind: 'path', path: 7 } });
      assert.equal(bad.ok, false);
      assert.equal(bad.error, 'openMatrix: params.source.path: expected a string of 1..4096 characters but received 7');
      const info = await callOver(ws, 3, 'info', {});
      assert.equal((info.value as { mode: string }).mode, 'browser');
      const pdf = await callOver(ws, 4, 'exportPdf', { timingId: 't1' });
      assert.match(pdf.error!, /PDF export needs the app/);
      assert.deepEqual(
        host.calls.map((c) => c.method),
        ['listMatrices', 'info'],
      );
      // Events reach the socket.
      const got = new Promise<unknown>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame(new Uint8Array(d)))));
      for (const l of host.listeners) l({ type: 'matrix-removed', matrixId: 'm1' });
      assert.deepEqual(await got, { type: 'event', event: { type: 'matrix-removed', matrixId: 'm1' } });
    } finally {
      ws.close();
    }
  });
});
