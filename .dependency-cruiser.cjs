// dependency-cruiser configuration: the layering rules that CI checks
// (npm run check:imports, and test/import-cycles.test.ts in the test suite).
//
// No import cycles in the engine (native/lib), the experiments or the host
// (electron): the engine is layered primitives (tensor, csr, autograd, device)
// → ops (native/lib/ops) → methods (native/lib/methods.ts installs the ops on
// Tensor and CsrMatrix), and a cycle between layers works only while no module
// touches an import at load time. Type-only imports count too (they are how a
// layer reaches above itself without anyone noticing).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle. Break it by moving the shared part down a layer (see native/lib/methods.ts).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file (a .js specifier must name a .ts file beside it).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Resolve the ESM '.js' specifiers to the '.ts' sources as TypeScript does (NodeNext).
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
