// The module's entry: the Proxy-Wasm ABI exports (from the patched SDK, see patches/) and our
// root context, registered for any plugin root id.
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, registerRootContext } from "@solo-io/proxy-runtime/assembly";
import { KafkaRoot } from "./filter/root";
import "./abi/abort"; // the module's abort handler (asconfig `use`)

registerRootContext((contextId: u32): RootContext => new KafkaRoot(contextId), "");
