// Entry point of the compute host process. Works as an Electron utilityProcess
// (messages through process.parentPort) and as a Node child process
// (process.send, with 'advanced' serialization). Configured by HOST_ENV.
import { cpus, getPriority, setPriority } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorText } from './jobs.js';
import { ComputeHost } from './compute-host.js';
import { HOST_ENV, type FromHost, type ToHost } from './host-protocol.js';
import { defaultDataDir } from './paths.js';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(msg: FromHost): void {
  if (parentPort) parentPort.postMessage(msg);
  else if (process.send) process.send(msg);
}

function onMessage(listener: (msg: ToHost) => void): void {
  if (parentPort) parentPort.on('message', (e) => listener(e.data as ToHost));
  else process.on('message', (m) => listener(m as ToHost));
}

function defaultWorkerFile(): string {
  // worker.ts beside this file when run from source (tsx), worker.mjs in the bundle.
  const self = fileURLToPath(import.meta.url);
  return join(self, '..', `worker${extname(self) === '.ts' ? '.ts' : '.mjs'}`);
}

// Compute yields to the window: the host and the pool threads it starts (they
// inherit this) run at a lower CPU priority, so a long training run on every
// core cannot make the renderer stutter. SPARSE_AD_LAB_NICE=0 turns it off.
const nice = Number(process.env.SPARSE_AD_LAB_NICE ?? 10);
if (nice > 0) {
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch {
    // Not permitted here: run at normal priority.
  }
}

const env = process.env;
const host = new ComputeHost(
  {
    dataDir: env[HOST_ENV.dataDir] || defaultDataDir(),
    workerFile: env[HOST_ENV.workerFile] || defaultWorkerFile(),
    threads: Number(env[HOST_ENV.threads]) || Math.max(2, Math.min(4, cpus().length)),
    ...(env[HOST_ENV.experimentsData] ? { experimentsDataDir: env[HOST_ENV.experimentsData] } : {}),
    testHooks: env[HOST_ENV.testHooks] === '1',
  },
  (event) => send({ type: 'event', event }),
);

onMessage((msg) => {
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'shutdown') {
    void host.close().finally(() => process.exit(0));
    return;
  }
  if (msg.type !== 'call' && msg.type !== 'test') return;
  const id = msg.id;
  const work = msg.type === 'call' ? host.call(msg.method, msg.params) : host.runTestTask(msg.task).result;
  work.then(
    (value) => send({ type: 'result', id, ok: true, value }),
    (e: unknown) => send({ type: 'result', id, ok: false, error: errorText(e) }),
  );
});

// Without a parent the host has no reason to live.
if (!parentPort) process.on('disconnect', () => process.exit(0));

send({ type: 'ready', pid: process.pid });
