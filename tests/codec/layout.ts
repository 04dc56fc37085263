// Re-exports of the generator's spec model for the tests.
export { type LField, type LStruct, type LType, PRIM_SIZE, resolveMessage, versionsOf } from "../../tools/codegen/model.ts";
export type { ApiSpec as ApiSpecLike } from "../../tools/codegen/spec.ts";
export { loadApiKeys, loadApis, loadSpecFiles } from "../../tools/codegen/spec.ts";
