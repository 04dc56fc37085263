// The plugin configuration (Envoy's plugin `configuration`, Istio's `pluginConfig`), validated at
// configure time. Every error names the offending field; unknown fields are errors too, so a typo
// never silently falls back to a default.
import { JsonParser, JsonValue, J_OBJECT, J_BOOL, J_NUMBER, kindName } from "./json";

export class PluginConfig {
  topicLabel: bool = true;
  clientIdLabel: bool = true;
  apiVersionLabel: bool = true;
  maxTopics: i32 = 500;
  maxClientIds: i32 = 200;
  consumerProgress: bool = true;
  maxPartitionSeries: i32 = 2000;
  maxInFlightPerConnection: i32 = 1024;
  maxFrameBytes: i32 = 256 * 1024 * 1024;
}

export class ConfigResult {
  config: PluginConfig = new PluginConfig();
  error: string = "";
}

class ObjectReader {
  constructor(public result: ConfigResult, public obj: JsonValue, public path: string) {}

  ok(): bool {
    return this.result.error.length == 0;
  }

  fail(field: string, message: string): void {
    if (this.ok()) this.result.error = "invalid plugin configuration: field \"" + this.path + field + "\": " + message;
  }

  /** Rejects keys not in `allowed`. */
  onlyKeys(allowed: string[]): void {
    for (let i = 0; i < this.obj.keys.length; i++) {
      const key = this.obj.keys[i];
      if (!allowed.includes(key)) this.fail(key, "unknown field (known: " + allowed.join(", ") + ")");
    }
  }

  bool(key: string, fallback: bool): bool {
    const v = this.obj.get(key);
    if (v === null) return fallback;
    if (v.kind != J_BOOL) {
      this.fail(key, "expected a boolean, got " + kindName(v.kind));
      return fallback;
    }
    return v.bool;
  }

  int(key: string, fallback: i32, lowest: i32, highest: i32): i32 {
    const v = this.obj.get(key);
    if (v === null) return fallback;
    if (v.kind != J_NUMBER || !v.isInteger) {
      this.fail(key, "expected an integer, got " + (v.kind == J_NUMBER ? "a fraction" : kindName(v.kind)));
      return fallback;
    }
    if (v.number < <f64>lowest || v.number > <f64>highest) {
      this.fail(key, "must be between " + lowest.toString() + " and " + highest.toString() + ", got " + v.number.toString());
      return fallback;
    }
    return <i32>v.number;
  }

  object(key: string): ObjectReader | null {
    const v = this.obj.get(key);
    if (v === null) return null;
    if (v.kind != J_OBJECT) {
      this.fail(key, "expected an object, got " + kindName(v.kind));
      return null;
    }
    return new ObjectReader(this.result, v, this.path + key + ".");
  }
}

/** Parses and validates the configuration; an empty text means all defaults. */
export function parsePluginConfig(text: string): ConfigResult {
  const result = new ConfigResult();
  if (text.trim().length == 0) return result;
  const parser = new JsonParser();
  const root = parser.parse(text);
  if (root === null) {
    result.error = "invalid plugin configuration: not valid JSON: " + parser.error;
    return result;
  }
  if (root.kind != J_OBJECT) {
    result.error = "invalid plugin configuration: expected a JSON object, got " + kindName(root.kind);
    return result;
  }
  const c = result.config;
  const top = new ObjectReader(result, root, "");
  top.onlyKeys(["metrics", "max_in_flight_per_connection", "max_frame_bytes", "policy"]);
  c.maxInFlightPerConnection = top.int("max_in_flight_per_connection", c.maxInFlightPerConnection, 1, 65536);
  c.maxFrameBytes = top.int("max_frame_bytes", c.maxFrameBytes, 1024, 1073741824);
  const metrics = top.object("metrics");
  if (metrics !== null) {
    metrics.onlyKeys(["topic_label", "client_id_label", "api_version_label", "max_topics", "max_client_ids", "consumer_progress", "max_partition_series"]);
    c.topicLabel = metrics.bool("topic_label", c.topicLabel);
    c.clientIdLabel = metrics.bool("client_id_label", c.clientIdLabel);
    c.apiVersionLabel = metrics.bool("api_version_label", c.apiVersionLabel);
    c.maxTopics = metrics.int("max_topics", c.maxTopics, 1, 100000);
    c.maxClientIds = metrics.int("max_client_ids", c.maxClientIds, 1, 100000);
    c.consumerProgress = metrics.bool("consumer_progress", c.consumerProgress);
    c.maxPartitionSeries = metrics.int("max_partition_series", c.maxPartitionSeries, 1, 1000000);
  }
  const policy = top.object("policy");
  if (policy !== null) policy.onlyKeys([]);
  return result;
}
