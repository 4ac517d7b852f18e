// The templates: the paper's four applications (reproducing today's presets'
// numbers), then the problems beyond the paper.
import type { TemplateInfo } from '../schema.js';
import { gaussianFieldTemplate } from './gaussian-field.js';
import { gcnTemplate } from './gcn.js';
import { graphModelTemplate } from './graph-model.js';
import { heavyballTemplate } from './heavyball.js';
import { inverseDiffusionTemplate } from './inverse-diffusion.js';
import { jacobiTemplate } from './jacobi.js';
import { learnedSmootherTemplate } from './learned-smoother.js';
import { pcgTemplate } from './pcg.js';

export function allTemplates(): TemplateInfo[] {
  return [jacobiTemplate(), heavyballTemplate(), pcgTemplate(), gcnTemplate(), inverseDiffusionTemplate(), graphModelTemplate(), learnedSmootherTemplate(), gaussianFieldTemplate()];
}
