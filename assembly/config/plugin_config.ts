// The plugin configuration (Envoy's plugin `configuration`, Istio's `pluginConfig`), validated at
// configure time. Every error names the offending field; unknown fields are errors too, so a typo
// never silently falls back to a default.
import { JsonParser, J_OBJECT, kindName } from "./json";
import { ObjectReader, ConfigError } from "./object_reader";
import { PolicyConfig, readPolicy } from "./policy_config";

export class PluginConfig {
  topicLabel: bool = true;
  clientIdLabel: bool = true;
  apiVersionLabel: bool = true;
  maxTopics: i32 = 500;
  maxClientIds: i32 = 200;
  consumerProgress: bool = true;
  maxPartitionSeries: i32 = 2000;
  maxClientSoftware: i32 = 100;
  maxSeries: i32 = 10000;
  maxInFlightPerConnection: i32 = 1024;
  maxFrameBytes: i32 = 256 * 1024 * 1024;
  policy: PolicyConfig = new PolicyConfig();
}

export class ConfigResult {
  config: PluginConfig = new PluginConfig();
  error: string = "";
}

/** Parses and validates the configuration; an empty text means all defaults. */
export function parsePluginConfig(text: string): ConfigResult {
  const result = new ConfigResult();
  if (text.trim().length == 0) return result;
  const parser = new JsonParser();
  const root = parser.parse(text);
  if (root === null) {
    const at = parser.errorPath.length > 0 ? "field \"" + parser.errorPath + "\": " : "";
    result.error = "invalid plugin configuration: " + at + "not valid JSON: " + parser.error;
    return result;
  }
  if (root.kind != J_OBJECT) {
    result.error = "invalid plugin configuration: expected a JSON object, got " + kindName(root.kind);
    return result;
  }
  const c = result.config;
  const error = new ConfigError();
  const top = new ObjectReader(error, root, "");
  top.onlyKeys(["metrics", "max_in_flight_per_connection", "max_frame_bytes", "policy"]);
  c.maxInFlightPerConnection = top.int("max_in_flight_per_connection", c.maxInFlightPerConnection, 1, 65536);
  c.maxFrameBytes = top.int("max_frame_bytes", c.maxFrameBytes, 1024, 1073741824);
  const metrics = top.object("metrics");
  if (metrics !== null) {
    metrics.onlyKeys(["topic_label", "client_id_label", "api_version_label", "max_topics", "max_client_ids", "consumer_progress", "max_partition_series", "max_client_software", "max_series"]);
    c.topicLabel = metrics.bool("topic_label", c.topicLabel);
    c.clientIdLabel = metrics.bool("client_id_label", c.clientIdLabel);
    c.apiVersionLabel = metrics.bool("api_version_label", c.apiVersionLabel);
    c.maxTopics = metrics.int("max_topics", c.maxTopics, 1, 100000);
    c.maxClientIds = metrics.int("max_client_ids", c.maxClientIds, 1, 100000);
    c.consumerProgress = metrics.bool("consumer_progress", c.consumerProgress);
    c.maxPartitionSeries = metrics.int("max_partition_series", c.maxPartitionSeries, 1, 1000000);
    c.maxClientSoftware = metrics.int("max_client_software", c.maxClientSoftware, 1, 100000);
    c.maxSeries = metrics.int("max_series", c.maxSeries, 100, 1000000);
  }
  const policy = top.object("policy");
  if (policy !== null) c.policy = readPolicy(policy);
  result.error = error.message;
  return result;
}
