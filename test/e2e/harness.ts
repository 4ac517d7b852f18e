// Browser-mode harness for the end-to-end tests and the measurements: starts
// `dist/app/serve.mjs` (built by `npm run build`) on a free port with a
// throw-away data folder, and Debian's Chromium through playwright-core with
// the flags this machine needs (../shared/DESIGN.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** Why the browser tests cannot run here, or null. */
export function missingPrerequisite(): string | null {
  if (!existsSync(join(ROOT, 'dist', 'app', 'serve.mjs'))) return 'dist/app/serve.mjs is missing: run `npm run build` first';
  if (!existsSync(join(ROOT, 'dist', 'ui', 'index.html'))) return 'dist/ui (the built renderer) is missing: run `npm run build` first';
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: run \`npm run setup\` (it installs Debian's chromium)`;
  return null;
}

// The few browser types the tests touch inside page.evaluate (the test program is
// compiled without the DOM library).
export interface ElementLike {
  id: string;
  textContent: string | null;
  firstChild: { textContent: string | null } | null;
  getAttribute(name: string): string | null;
}
export interface BrowserGlobals {
  document: { activeElement: ElementLike | null; querySelector(selector: string): ElementLike | null };
}
export interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

export interface Lab {
  url: string;
  dataDir: string;
  server: ChildProcess;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  /** What the server wrote to stderr. */
  serverLog(): string;
  stop(): Promise<void>;
}

export async function startLab(opts: { threads?: number; downloads?: boolean } = {}): Promise<Lab> {
  const problem = missingPrerequisite();
  if (problem) throw new Error(problem);
  mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'lab-e2e-'));
  const args = [join(ROOT, 'dist', 'app', 'serve.mjs'), '--port', '0', '--data-dir', dataDir, '--threads', String(opts.threads ?? 2)];
  const server = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let log = '';
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  // However this process ends, the server (and so its compute host) ends with it.
  const killServer = (): void => {
    if (server.exitCode === null) server.kill('SIGKILL');
  };
  process.once('exit', killServer);
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not print its URL in 30 s:\n${log}`)), 30_000);
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    server.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${log}`)));
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: opts.downloads ?? true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return {
    url,
    dataDir,
    server,
    browser,
    context,
    page,
    errors,
    serverLog: () => log,
    async stop() {
      await browser.close().catch(() => undefined);
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (server.exitCode === null) server.kill('SIGKILL');
      }
      process.off('exit', killServer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
