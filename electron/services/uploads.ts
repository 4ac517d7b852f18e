// Matrix files that arrive as bytes (browser mode gives no paths) are kept in
// the data folder, one folder per upload so the file keeps its own name, and
// read from there like any other file (a spec can then name it).
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

let counter = 0;

/** A fresh path for an upload called `name` (its folder is created). */
export function uploadPath(uploadsDir: string, name: string): string {
  const safe = basename(name).replace(/[^\w.+-]+/g, '_') || 'matrix.mtx';
  const dir = join(uploadsDir, `${Date.now().toString(36)}-${process.pid.toString(36)}${(++counter).toString(36)}`);
  mkdirSync(dir, { recursive: true });
  return join(dir, safe);
}

export function saveUpload(uploadsDir: string, name: string, data: Uint8Array): string {
  const path = uploadPath(uploadsDir, name);
  writeFileSync(path, data);
  return path;
}

/** Streams an upload to disk, refusing more than `maxBytes`. */
export async function streamUpload(uploadsDir: string, name: string, body: Readable, maxBytes: number): Promise<string> {
  const path = uploadPath(uploadsDir, name);
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) body.destroy(new Error(`the upload is larger than ${maxBytes} bytes`));
  });
  await pipeline(body, createWriteStream(path));
  return path;
}
