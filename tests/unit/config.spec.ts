import { parsePluginConfig } from "../../assembly/config/plugin_config";

describe("plugin configuration", () => {
  it("uses defaults for an empty configuration", () => {
    const r = parsePluginConfig("");
    expect(r.error).toBe("");
    expect(r.config.maxInFlightPerConnection).toBe(1024);
    expect(r.config.topicLabel).toBe(true);
  });

  it("reads every field", () => {
    const r = parsePluginConfig('{"metrics":{"topic_label":false,"client_id_label":false,"api_version_label":false,"max_topics":7,"max_client_ids":9},"max_in_flight_per_connection":16,"max_frame_bytes":2048}');
    expect(r.error).toBe("");
    expect(r.config.topicLabel).toBe(false);
    expect(r.config.clientIdLabel).toBe(false);
    expect(r.config.apiVersionLabel).toBe(false);
    expect(r.config.maxTopics).toBe(7);
    expect(r.config.maxClientIds).toBe(9);
    expect(r.config.maxInFlightPerConnection).toBe(16);
    expect(r.config.maxFrameBytes).toBe(2048);
  });

  it("rejects an unknown field, naming it", () => {
    const r = parsePluginConfig('{"metrics":{"max_topic":5}}');
    expect(r.error.includes('field "metrics.max_topic": unknown field')).toBe(true, r.error);
  });

  it("rejects a wrong type, naming the field", () => {
    expect(parsePluginConfig('{"metrics":{"topic_label":"yes"}}').error.includes('"metrics.topic_label": expected a boolean, got string')).toBe(true);
    expect(parsePluginConfig('{"max_in_flight_per_connection":1.5}').error.includes('"max_in_flight_per_connection": expected an integer')).toBe(true);
    expect(parsePluginConfig('{"metrics":[]}').error.includes('"metrics": expected an object, got array')).toBe(true);
  });

  it("rejects out-of-range values", () => {
    const r = parsePluginConfig('{"max_in_flight_per_connection":0}');
    expect(r.error.includes("must be between 1 and 65536")).toBe(true, r.error);
  });

  it("rejects malformed JSON with its offset", () => {
    expect(parsePluginConfig('{"metrics": {').error.includes("not valid JSON")).toBe(true);
    expect(parsePluginConfig('{"a":1,"a":2}').error.includes("duplicate key")).toBe(true);
    expect(parsePluginConfig("[1,2]").error.includes("expected a JSON object")).toBe(true);
    let deep = "";
    for (let i = 0; i < 100; i++) deep += "[";
    expect(parsePluginConfig(deep).error.includes("nesting deeper")).toBe(true);
  });
});
