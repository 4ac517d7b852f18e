// Dense ops the applications need. (Being written.)
export {};
