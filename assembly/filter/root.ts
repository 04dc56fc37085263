// The plugin's root context: reads and validates the plugin configuration, and creates one
// KafkaConnection per TCP connection.
import { RootContext, Context, BufferTypeValues, get_buffer_bytes } from "@solo-io/proxy-runtime/assembly";
import { parsePluginConfig, PluginConfig } from "../config/plugin_config";
import { KafkaConnection } from "./connection";
import { VmState } from "./vm_state";
import { logLine, LOG_ERROR, LOG_INFO } from "../abi/host";
import { closeDue } from "./closer";

export class KafkaRoot extends RootContext {
  vm: VmState = new VmState(new PluginConfig());

  onConfigure(configurationSize: u32): bool {
    let text = "";
    if (configurationSize > 0) {
      text = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configurationSize));
    }
    const result = parsePluginConfig(text);
    if (result.error.length > 0) {
      logLine(LOG_ERROR, result.error);
      return false;
    }
    this.vm = new VmState(result.config);
    logLine(LOG_INFO, "configured (" + (text.length == 0 ? "defaults" : "plugin configuration of " + configurationSize.toString() + " bytes") + ")");
    return true;
  }

  /** Ticks only while an enforced rule has a connection to close (closer.ts). */
  onTick(): void {
    closeDue(this.context_id);
  }

  createContext(contextId: u32): Context {
    return new KafkaConnection(contextId, this, this.vm);
  }
}
