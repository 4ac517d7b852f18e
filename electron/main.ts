// The Electron main process. One of the two files that import 'electron' (the
// other is preload.ts; lint enforces it). It opens a sandboxed, context-isolated
// window on the lab:// protocol with a strict CSP, blocks navigation, new
// windows, webviews and permission requests, checks the sender of every IPC
// message, and hands calls to the LabBackend, which checks them against their
// schemas and forwards them to the compute host in a utilityProcess.
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, utilityProcess, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { existsSync, writeFileSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from './common/csp.js';
import type { FromHost } from './services/host-protocol.js';
import { HOST_ENV } from './services/host-protocol.js';
import { ComputeHostClient, type HostChannel } from './services/host-client.js';
import { LabBackend } from './services/lab-backend.js';

// This file is bundled to dist/app/main.cjs; in a package it sits inside app.asar.
const appDir = __dirname;
const rendererDir = join(appDir, '..', 'ui');
/** Files a separate process or thread must load from disk live in app.asar.unpacked. */
const unpacked = (p: string): string => p.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
const hostEntry = unpacked(join(appDir, 'host-process.mjs'));
const workerFile = unpacked(join(appDir, 'worker.mjs'));
const addonFile = unpacked(join(appDir, '..', '..', 'build', 'Release', 'sparse_ad_lab.node'));

const ORIGIN = 'lab://app';
protocol.registerSchemesAsPrivileged([{ scheme: 'lab', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

function launchUtilityHost(): HostChannel {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env[HOST_ENV.dataDir] = app.getPath('userData');
  env[HOST_ENV.workerFile] = workerFile;
  if (existsSync(addonFile) && !env.SPARSE_AD_ADDON) env.SPARSE_AD_ADDON = addonFile;
  const child = utilityProcess.fork(hostEntry, [], { serviceName: 'Sparse AD Lab compute host', env, stdio: 'inherit' });
  return {
    post: (msg) => child.postMessage(msg),
    onMessage: (listener) => child.on('message', (m: unknown) => listener(m as FromHost)),
    onExit: (listener) => child.on('exit', (code: number) => listener(code, null)),
    kill: () => {
      child.kill();
    },
  };
}

let mainWindow: BrowserWindow | null = null;

/** Only our own window's top frame, showing our own page, may call the host. */
function trusted(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  const top = event.sender.mainFrame;
  return (
    !!mainWindow &&
    event.sender === mainWindow.webContents &&
    !!frame &&
    frame.processId === top.processId &&
    frame.routingId === top.routingId &&
    frame.url.startsWith(`${ORIGIN}/`)
  );
}

async function exportPdf(timingId: string, html: string): Promise<{ savedPath: string }> {
  // A hidden, script-less window renders the self-contained HTML report.
  const win = new BrowserWindow({ show: false, webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false } });
  try {
    await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html).toString('base64')}`);
    const pdf = await win.webContents.printToPDF({ printBackground: true, landscape: true, pageSize: 'A4' });
    const choice = await dialog.showSaveDialog(mainWindow ?? win, {
      title: 'Save the timing report as PDF',
      defaultPath: join(app.getPath('downloads'), `${timingId}.pdf`),
      filters: [{ name: 'PDF', extensions: ['pdf'] }],
    });
    if (choice.canceled || !choice.filePath) throw new Error('PDF export cancelled');
    writeFileSync(choice.filePath, pdf);
    return { savedPath: choice.filePath };
  } finally {
    win.destroy();
  }
}

function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

async function main(): Promise<void> {
  await app.whenReady();
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const csp = contentSecurityPolicy("'self'");
  protocol.handle('lab', async (request) => {
    const url = new URL(request.url);
    const file = normalize(join(rendererDir, decodeURIComponent(url.pathname)));
    if (url.host !== 'app' || !file.startsWith(rendererDir + sep) || !existsSync(file)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('content-security-policy', csp);
    headers.set('x-content-type-options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });

  const host = new ComputeHostClient(launchUtilityHost);
  const backend = new LabBackend(host, {
    mode: 'electron',
    versions: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '' },
    capabilities: { pdf: true, filePaths: true },
    exportPdf,
    uploadsDir: join(app.getPath('userData'), 'uploads'),
  });
  void host.start();

  ipcMain.handle('lab:call', (event, method: unknown, params: unknown) => {
    if (!trusted(event)) throw new Error('refused: this IPC message did not come from the lab window');
    return backend.call(method, params);
  });
  backend.onEvent((e) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send('lab:event', e);
  });

  mainWindow = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    title: 'Sparse AD Lab',
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: join(appDir, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  await mainWindow.loadURL(`${ORIGIN}/index.html`);

  app.on('window-all-closed', () => {
    void host.close().finally(() => app.quit());
  });
}

main().catch((e: unknown) => {
  console.error('sparse-ad-lab:', e);
  app.exit(1);
});
