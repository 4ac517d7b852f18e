// Structural sparse ops and generators. (Being written.)
export {};
