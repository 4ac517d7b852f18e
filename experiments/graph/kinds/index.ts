// Registers every node kind (each file calls defineKind at import), in the
// palette's order.
import './sources.js';
import './parameters.js';
import './sparse-ops.js';
import './sparse-solvers.js';
import './dense-ops.js';
import './iteration.js';
import './losses.js';
import './outputs.js';
// The kinds the templates beyond the paper add (graph-ext's).
import '../ext/kinds.js';
