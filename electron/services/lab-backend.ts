// The host side of the LabApi, shared by the Electron main process and the
// browser-mode server: every call is checked against its schema here, where it
// first arrives, then answered by the compute host (or, for the few things
// only the shell can do, by the shell's own hooks).
import type { AppMode, LabEvent, LabInfo, LabMethods } from '../common/lab-api.js';
import { checkCall } from './check-call.js';
import type { ComputeHostClient } from './host-client.js';
import { saveUpload } from './uploads.js';

export interface ShellHooks {
  mode: AppMode;
  /** Versions the shell knows (Electron, Chromium). */
  versions?: Record<string, string>;
  capabilities: LabInfo['capabilities'];
  /** printToPDF of a timing report (the app only). */
  exportPdf?: (timingId: string, html: string) => Promise<{ savedPath: string }>;
  /**
   * Where uploaded matrix files are kept (the compute host's data folder/uploads).
   * Set, the shell writes them itself and hands the compute host a path: tens
   * of megabytes then do not cross a second process boundary.
   */
  uploadsDir?: string;
}

export class LabBackend {
  constructor(
    readonly host: ComputeHostClient,
    private readonly shell: ShellHooks,
  ) {}

  /** Answers a call from the renderer; rejects with a SchemaError for a malformed one. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    const c = checkCall(method, params);
    switch (c.method) {
      case 'info': {
        const info = (await this.host.call('info', {})) as LabInfo;
        return { ...info, mode: this.shell.mode, versions: { ...info.versions, ...this.shell.versions }, capabilities: this.shell.capabilities } satisfies LabInfo;
      }
      case 'exportPdf': {
        const { timingId } = c.params as LabMethods['exportPdf']['params'];
        if (!this.shell.exportPdf) throw new Error('PDF export needs the app (printToPDF); in the browser, export HTML and print it');
        const html = (await this.host.call('exportReport', { timingId, format: 'html' })) as LabMethods['exportReport']['result'];
        return this.shell.exportPdf(timingId, html.text);
      }
      case 'openMatrix': {
        const { source } = c.params as LabMethods['openMatrix']['params'];
        if (source.kind === 'bytes' && this.shell.uploadsDir) {
          return this.host.call('openMatrix', { source: { kind: 'path', path: saveUpload(this.shell.uploadsDir, source.name, source.data) } });
        }
        return this.host.call(c.method, c.params);
      }
      default:
        return this.host.call(c.method, c.params);
    }
  }

  onEvent(listener: (e: LabEvent) => void): () => void {
    return this.host.onEvent(listener);
  }
}
