// The bound store's shape: one slice per view (zustand's slices pattern).
import type { StateCreator } from 'zustand';
import type { AppSlice } from './app.js';
import type { MatricesSlice } from './matrices.js';
import type { ProblemSlice } from './problem.js';
import type { RunsSlice } from './runs.js';
import type { SweepsSlice } from './sweeps.js';
import type { TimingSlice } from './timing.js';

export type LabState = AppSlice & MatricesSlice & ProblemSlice & RunsSlice & TimingSlice & SweepsSlice;
export type Slice<T> = StateCreator<LabState, [], [], T>;
