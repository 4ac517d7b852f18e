// The templates: the paper's four applications (reproducing today's presets'
// numbers) and then the new ones.
import type { TemplateInfo } from '../index.js';
import { gcnTemplate } from './gcn.js';
import { heavyballTemplate } from './heavyball.js';
import { jacobiTemplate } from './jacobi.js';
import { pcgTemplate } from './pcg.js';

export function allTemplates(): TemplateInfo[] {
  return [jacobiTemplate(), heavyballTemplate(), pcgTemplate(), gcnTemplate()];
}
