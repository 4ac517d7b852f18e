// npm run worker -- --queue redis://host:port [--concurrency N] [--threads T]
//
// Joins a sweep queue (BullMQ on Redis) and runs its jobs with the same runner
// code as the lab's pool, until Ctrl-C (which lets the running jobs finish).
import { parseArgs } from 'node:util';
import { queueFromEnv } from '../sweep/executor.js';
import { checkQueueUrl, redactUrl, startQueueWorker } from '../sweep/queue.js';

const USAGE = `usage: npm run worker -- --queue redis://host:port [options]

options:
  --queue URL         the Redis to take runs from (default: $SPARSE_AD_QUEUE); AUTH and TLS as
                      redis://:password@host:6379 or rediss://user:password@host:6380
  --concurrency N     runs at once on this machine (default 1)
  --threads T         CPU kernel threads per run (default: cores / concurrency)
  --name NAME         how results name this worker (default <hostname>:<pid>)
  --lock-ms MS        job lock time; a killed worker's run restarts elsewhere after about this (default 30000)
  --stalled-ms MS     how often to look for stalled jobs (default 30000)
  --quiet             no log lines
  -h, --help          this text`;

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${flag}: expected an integer ≥ ${min} but received ${JSON.stringify(v)}`);
  return Number(v);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        threads: { type: 'string' },
        name: { type: 'string' },
        'lock-ms': { type: 'string' },
        'stalled-ms': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`worker: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const url = queueFromEnv(values.queue);
  let opts;
  try {
    if (!url) throw new Error('--queue: name the Redis to take runs from (or set SPARSE_AD_QUEUE)');
    checkQueueUrl(url);
    const concurrency = int('--concurrency', values.concurrency, 1);
    const threads = int('--threads', values.threads, 1);
    const lock = int('--lock-ms', values['lock-ms'], 100);
    const stalled = int('--stalled-ms', values['stalled-ms'], 100);
    opts = {
      url,
      ...(concurrency ? { concurrency } : {}),
      ...(threads ? { threads } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(lock ? { lockDurationMs: lock } : {}),
      ...(stalled ? { stalledIntervalMs: stalled } : {}),
    };
  } catch (e) {
    process.stderr.write(`worker: ${(e as Error).message}\n`);
    return 2;
  }
  const log = values.quiet ? undefined : (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const w = await startQueueWorker({ ...opts, ...(log ? { log } : {}) });
  log?.(`worker ${w.name} joined ${redactUrl(url!)} (${opts.concurrency ?? 1} at once)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log?.('closing: finishing the running runs');
  await w.close();
  return 0;
}

process.exitCode = await main();
