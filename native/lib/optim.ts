// Optimizers. (Being written.)
export {};
