// Peer baselines (SciPy, PyTorch, CuPy) through an external python3: one process
// per peer and thread count, fed the cases as JSON on stdin, answering one JSON
// line per case (peers/common.py states the protocol). A missing python, a peer
// that does not import, or an op a peer cannot do comes back as absent with the
// reason; a peer that overruns its time limit is stopped and keeps what it finished.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DType } from '../../native/lib/index.js';
import type { TimingStats } from '../bench/measure.js';
import type { DeviceKind, OpName, Pass, Peer, Variant } from './types.js';

/** The peer scripts: beside this file, or (when running from a compiled dist/ copy) in the source tree above it. */
function findPeersDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  const here = join(dir, 'peers');
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'peers'), join(dir, 'experiments', 'timing', 'peers')]) {
      if (existsSync(join(candidate, 'common.py'))) return candidate;
    }
    dir = dirname(dir);
  }
  return here;
}

const PEERS_DIR = findPeersDir();

export const PEER_NAMES: Record<Peer, string> = { scipy: 'SciPy', torch: 'PyTorch', cupy: 'CuPy' };

/** The python the peers run in: the option, SPARSE_AD_PYTHON, /usr/bin/python3 when present, else python3 on the PATH. */
export function resolvePython(configured?: string): string {
  if (configured) return configured;
  if (process.env.SPARSE_AD_PYTHON) return process.env.SPARSE_AD_PYTHON;
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  return 'python3';
}

export interface PeerCase {
  key: string;
  op: OpName;
  variant: Variant;
  pass: Pass;
  n: number;
  dtype: DType;
}

export interface PeerTiming {
  sampleTime: number;
  samples: number;
  warmupTime: number;
  maxTime: number;
  /** A case predicted to take longer than this per call is reported absent (torch.sparse's N² gradients). */
  maxCallTime: number;
}

export interface PeerHeader {
  available: boolean;
  name: string;
  version?: string;
  python?: string;
  device?: string;
  /** How the peer was built (its BLAS, NumPy version…). */
  build?: string;
  reason?: string;
}

export interface PeerResult {
  key: string;
  status: 'ok' | 'absent' | 'error';
  detail?: string;
  nnz?: number;
  reason?: string;
  stats?: TimingStats;
}

export interface PeerRun {
  header: PeerHeader;
  results: Map<string, PeerResult>;
}

export interface PeerRunOptions {
  python: string;
  peer: Peer;
  device: DeviceKind;
  threads: number;
  cases: PeerCase[];
  timing: PeerTiming;
  spdmmCols: number;
  timeout_s: number;
  signal?: AbortSignal;
  onResult?: (r: PeerResult) => void;
}

/** Runs one peer script; never throws (failures become the header's reason). */
export function runPeer(o: PeerRunOptions): Promise<PeerRun> {
  const script = join(PEERS_DIR, `${o.peer}_peer.py`);
  const name = PEER_NAMES[o.peer];
  const results = new Map<string, PeerResult>();
  const t = String(Math.max(1, o.threads));
  const env = { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t, PYTHONUNBUFFERED: '1' };
  return new Promise((resolvePromise) => {
    let header: PeerHeader | null = null;
    let stderr = '';
    let buffered = '';
    let settled = false;
    let stopReason: string | null = null;
    const child = spawn(o.python, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const finish = (fallbackReason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolvePromise({ header: header ?? { available: false, name, reason: fallbackReason }, results });
    };
    const stop = (why: string): void => {
      stopReason = why;
      child.kill('SIGKILL');
    };
    const onAbort = (): void => stop('cancelled');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop(`${name} did not finish within ${o.timeout_s} s and was stopped`), o.timeout_s * 1000);
    const onLine = (line: string): void => {
      if (!line.trim()) return;
      let msg: { type?: string } & Record<string, unknown>;
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        stderr += `${line}\n`;
        return;
      }
      if (msg.type === 'info') header = msg as unknown as PeerHeader;
      else if (msg.type === 'result') {
        const r = msg as unknown as PeerResult;
        results.set(r.key, r);
        o.onResult?.(r);
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', (err) => {
      // Python itself is missing (or not executable): the peer is absent, every case with this reason.
      const why = `could not run ${o.python} (${err.message})`;
      for (const c of o.cases) if (!results.has(c.key)) results.set(c.key, { key: c.key, status: 'absent', reason: why });
      finish(why);
    });
    child.on('close', (code) => {
      if (settled) return;
      if (buffered) onLine(buffered);
      const lastErr = stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
      const h = header as PeerHeader | null;
      const unavailable = h !== null && !h.available;
      const why = stopReason
        ?? (unavailable ? h.reason ?? `${name} is not available`
          : code !== 0 ? `${name} exited with status ${code}${lastErr ? `: ${lastErr}` : ''}`
            : h === null ? `${name} printed no header${lastErr ? ` (${lastErr})` : ''}` : `${name} gave no result for this case`);
      // Cases the script never answered (peer absent, stopped or crashed) say why.
      const status = unavailable || stopReason === 'cancelled' ? 'absent' : 'error';
      for (const c of o.cases) {
        if (!results.has(c.key)) results.set(c.key, { key: c.key, status, reason: why });
      }
      finish(why);
    });
    child.stdin.on('error', () => { /* the script exited before reading everything; 'close' reports it */ });
    child.stdin.end(JSON.stringify({ threads: o.threads, device: o.device, timing: o.timing, spdmmCols: o.spdmmCols, cases: o.cases }));
  });
}
