// as-pect (make test-unit): the AssemblyScript unit specs of tests/unit, compiled with
// as-pect.asconfig.json and run against the module's code with no host (they import no host call).
export default {
  entries: ["tests/unit/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
