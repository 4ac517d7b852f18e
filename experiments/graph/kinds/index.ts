// Registers every node kind (each file calls defineKind at import).
import './sources.js';
import './parameters.js';
