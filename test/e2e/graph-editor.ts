// Driving the node editor as a person does: real mouse drags from the palette
// onto the canvas and from an output handle to an input handle, typing into the
// inspector. Every such step counts as one action (the bar: the Jacobi
// graph from an empty canvas in at most 12).
import type { Page } from 'playwright-core';

export class Editor {
  /** Drags, connections and field edits done so far. */
  actions = 0;
  readonly log: string[] = [];

  constructor(readonly page: Page) {}

  private count(what: string): void {
    this.actions++;
    this.log.push(`${this.actions}. ${what}`);
  }

  /** The canvas's pane (where nodes are dropped), in page coordinates. */
  async paneBox(): Promise<{ x: number; y: number; width: number; height: number }> {
    const box = await this.page.locator('.canvas .react-flow__pane').boundingBox();
    if (!box) throw new Error('the canvas is not on screen');
    return box;
  }

  /** Drags the palette item of `kind` to (fx, fy) of the canvas (fractions of its size); returns the new node's id. */
  async drop(kind: string, fx: number, fy: number): Promise<string> {
    const before = new Set(await this.nodeIds());
    const pane = await this.paneBox();
    const item = this.page.locator(`.palette-item[data-kind="${kind}"]`);
    await item.scrollIntoViewIfNeeded();
    await item.dragTo(this.page.locator('.canvas .react-flow__pane'), { targetPosition: { x: pane.width * fx, y: pane.height * fy } });
    let added: string[] = [];
    for (let i = 0; i < 50 && added.length === 0; i++) {
      added = (await this.nodeIds()).filter((id) => !before.has(id));
      if (!added.length) await this.page.waitForTimeout(50);
    }
    if (added.length !== 1) throw new Error(`dropping ${kind} added ${added.length} nodes`);
    this.count(`drag ${kind} from the palette → node "${added[0]}"`);
    return added[0]!;
  }

  /** Drags the palette item of `kind` onto an output port: the new node comes fed from it (one gesture). */
  async dropOnto(kind: string, from: [string, string]): Promise<string> {
    const before = new Set(await this.nodeIds());
    const item = this.page.locator(`.palette-item[data-kind="${kind}"]`);
    await item.scrollIntoViewIfNeeded();
    await item.dragTo(this.handle(from[0], from[1], 'source'));
    let added: string[] = [];
    for (let i = 0; i < 50 && added.length === 0; i++) {
      added = (await this.nodeIds()).filter((id) => !before.has(id));
      if (!added.length) await this.page.waitForTimeout(50);
    }
    if (added.length !== 1) throw new Error(`dropping ${kind} onto ${from.join('.')} added ${added.length} nodes`);
    this.count(`drag ${kind} from the palette onto output ${from.join('.')} → node "${added[0]}", fed from it`);
    return added[0]!;
  }

  async nodeIds(): Promise<string[]> {
    return this.page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => (e as unknown as { getAttribute(n: string): string }).getAttribute('data-id')));
  }

  handle(node: string, port: string, type: 'source' | 'target') {
    return this.page.locator(`.react-flow__handle.${type}[data-nodeid="${node}"][data-handleid="${port}"]`);
  }

  /** Presses on the output handle, moves to the input handle in steps, releases: React Flow's own connection gesture. */
  async connect(from: [string, string], to: [string, string]): Promise<void> {
    const pane = await this.paneBox();
    const inView = async (node: string): Promise<boolean> => {
      const el = this.page.locator(`.react-flow__node[data-id="${node}"]`);
      if ((await el.count()) === 0) return false; // off screen, so not rendered
      const r = (await el.boundingBox())!;
      return r.x >= pane.x && r.y >= pane.y && r.x + r.width <= pane.x + pane.width && r.y + r.height <= pane.y + pane.height;
    };
    if (!(await inView(from[0])) || !(await inView(to[0]))) {
      // Looking is not building: bring both ends into view (as a person scrolls), uncounted.
      await this.page.getByRole('button', { name: 'Fit view' }).click();
      await this.page.waitForTimeout(100);
      this.log.push(`   (view: Fit, to see ${from[0]} and ${to[0]})`);
    }
    const a = await this.handle(from[0], from[1], 'source').boundingBox();
    const b = await this.handle(to[0], to[1], 'target').boundingBox();
    if (!a) throw new Error(`no output handle ${from.join('.')}`);
    if (!b) throw new Error(`no input handle ${to.join('.')}`);
    const m = this.page.mouse;
    await m.move(a.x + a.width / 2, a.y + a.height / 2);
    await m.down();
    await m.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 10, { steps: 6 });
    await m.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 6 });
    await m.up();
    this.count(`connect ${from.join('.')} → ${to.join('.')}`);
  }

  /** Types a value into a field of the inspector (the selected node's, or the training settings). */
  async edit(label: string, value: string): Promise<void> {
    const box = this.page.locator('.inspector').getByLabel(label, { exact: true });
    if ((await box.evaluate((e) => (e as unknown as { tagName: string }).tagName)) === 'SELECT') await box.selectOption(value);
    else await box.fill(value);
    this.count(`set ${label} = ${value}`);
  }

  /** Clicks a node's header (selects it; not counted: selecting is not building). */
  async select(node: string): Promise<void> {
    await this.page.locator(`.react-flow__node[data-id="${node}"] .op-head`).click();
  }
}
