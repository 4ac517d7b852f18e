// The machine a report was measured on: what a colleague needs to read the numbers.
import { spawnSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem, arch, platform, release, version as osVersion } from 'node:os';
import { buildInfo, devices } from '../../native/lib/index.js';
import { addon } from '../../native/lib/addon.js';
import { oursCudaAbsence } from './cases.js';
import type { Environment } from './types.js';

/** Environment variables that change dense/BLAS timings (reported, never changed). */
const TIMING_ENV = ['OPENBLAS_CORETYPE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'SPARSE_AD_ADDON', 'SPARSE_AD_PYTHON'];

function pythonVersion(python: string): { version: string | null; reason?: string } {
  const r = spawnSync(python, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8', timeout: 20000 });
  if (r.error) return { version: null, reason: `could not run ${python} (${r.error.message})` };
  if (r.status !== 0) return { version: null, reason: `${python} exited with status ${r.status}` };
  return { version: r.stdout.trim() };
}

export function describeEnvironment(python: string): Environment {
  const info = buildInfo();
  const gemmBackend = addon().gemmBackend;
  const cpuList = cpus();
  const env: Record<string, string | null> = {};
  for (const k of TIMING_ENV) env[k] = process.env[k] ?? null;
  const cudaReason = oursCudaAbsence();
  const py = pythonVersion(python);
  return {
    os: { platform: platform(), release: release(), arch: arch(), version: osVersion() },
    cpu: { model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length, hardwareThreads: info.hardwareThreads, speedMHz: cpuList[0]?.speed ?? 0 },
    memory: { totalBytes: totalmem(), freeBytesAtStart: freemem() },
    loadAverage: { atStart: loadavg(), atEnd: [] },
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      electron: process.versions.electron ?? null,
      chromium: process.versions.chrome ?? null,
    },
    addon: { ...info, gemmBackend: typeof gemmBackend === 'function' ? String((gemmBackend as () => string)()) : null, env },
    cuda: { available: cudaReason === null, devices: devices(), ...(cudaReason ? { reason: cudaReason } : {}) },
    python: { path: python, ...py },
  };
}
