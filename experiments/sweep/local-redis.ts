// A private redis-server for tests and benchmarks: 127.0.0.1 only, a free port,
// a temporary directory (AOF on, so a restart keeps the queue), stopped and
// removed after. Needs Debian's redis-server (npm run setup installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why the Redis tests cannot run here, or null when redis-server is installed. */
export function redisMissing(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.error ? `redis-server is not installed (${(r.error as NodeJS.ErrnoException).code}); npm run setup installs Debian's redis-server` : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SIGTERM: it writes its AOF) and starts it again on the same port and directory. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `password`: require AUTH (the URL then carries it, redis://:password@127.0.0.1:port). */
export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    proc = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning', ...(opts.password ? ['--requirepass', opts.password] : [])],
      { stdio: 'ignore' },
    );
    await waitForPort(port);
  };
  const halt = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  await launch();
  return {
    url: opts.password ? `redis://:${encodeURIComponent(opts.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    dir,
    restart: async (downMs = 300) => {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
