// `npm run serve`: the whole lab in a browser. Starts the compute host as a
// child process and serves the built renderer plus the LabApi on 127.0.0.1,
// printing the URL with its token.
//   node dist/app/serve.mjs [--port N] [--data-dir DIR] [--threads N]
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ComputeHostClient, forkHost } from './services/host-client.js';
import { HOST_ENV } from './services/host-protocol.js';
import { LabBackend } from './services/lab-backend.js';
import { appPaths, defaultDataDir } from './services/paths.js';
import { startLabServer } from './services/server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'data-dir': { type: 'string' },
    threads: { type: 'string' },
  },
});

const paths = appPaths(import.meta.url);
const dataDir = resolve(values['data-dir'] ?? process.env[HOST_ENV.dataDir] ?? defaultDataDir());
const env: NodeJS.ProcessEnv = { ...process.env, [HOST_ENV.dataDir]: dataDir };
if (values.threads) env[HOST_ENV.threads] = values.threads;

const host = new ComputeHostClient(forkHost({ entry: paths.hostEntry, env, execArgv: paths.hostExecArgv }));
await host.start();
const uploadsDir = join(dataDir, 'uploads');
const backend = new LabBackend(host, { mode: 'browser', capabilities: { pdf: false, filePaths: false }, uploadsDir });
const server = await startLabServer({ backend, rendererDir: paths.rendererDir, port: Number(values.port) || 0, uploadsDir });
host.onEvent((e) => {
  if (e.type === 'host') console.error(`sparse-ad-lab: ${e.reason}`);
});

console.log(`Sparse AD Lab (browser mode) at ${server.url}`);
console.log('Open that URL in a browser on this machine; requests without its token are refused. Ctrl-C stops.');

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.close();
  await host.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
