// The LabApi the renderer talks to: window.lab from the preload in the app, a
// WebSocket client in browser mode. Both are built from labCalls(), so both
// have exactly the LabApi's methods.
import { labCalls, type LabApi, type LabEvent, type LabMethod } from '../../electron/common/lab-api.js';
import { decodeFrame, encodeFrame } from '../../electron/common/wire.js';

declare global {
  interface Window {
    lab?: LabApi;
  }
}

type Reply = { type: 'result'; id: number; ok: true; value: unknown } | { type: 'result'; id: number; ok: false; error: string } | { type: 'event'; event: LabEvent } | { type: 'error'; error: string };

/** Browser mode: calls and events over one WebSocket to the server that served this page. */
export function socketApi(url: string): LabApi & { ready: Promise<void> } {
  const listeners = new Set<(e: LabEvent) => void>();
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const ready = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot connect to the lab server')), { once: true });
  });
  ws.addEventListener('message', (ev) => {
    const msg = decodeFrame(new Uint8Array(ev.data as ArrayBuffer)) as Reply;
    if (msg.type === 'event') for (const l of listeners) l(msg.event);
    else if (msg.type === 'result') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
    } else if (msg.type === 'error') console.warn('lab server:', msg.error);
  });
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject(new Error('the connection to the lab server closed'));
    pending.clear();
  });
  const invoke = async (method: LabMethod, params: unknown): Promise<unknown> => {
    await ready;
    if (ws.readyState !== WebSocket.OPEN) throw new Error('the connection to the lab server is closed');
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(encodeFrame({ type: 'call', id, method, params }));
    });
  };
  return {
    ...labCalls(invoke),
    ready,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async fileToPath(file) {
      // Streamed to the server (which keeps it in the data folder): no copy in the page, no socket frame.
      const res = await fetch(`/upload?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file, headers: { 'x-lab-upload': '1' }, credentials: 'same-origin' });
      const text = await res.text();
      if (!res.ok) throw new Error(text.trim() || `upload failed (${res.status})`);
      return (JSON.parse(text) as { path: string }).path;
    },
  };
}

function connect(): LabApi {
  if (window.lab) return window.lab;
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return socketApi(`${scheme}//${location.host}/lab?token=${encodeURIComponent(token)}`);
}

export const api: LabApi = connect();
