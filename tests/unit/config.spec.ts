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

  it("rejects invalid JSON escapes and numbers, naming the field", () => {
    const bad = parsePluginConfig('{"policy":{"client_id":{"allowed":["\\uZZZZ"]}}}');
    expect(bad.error.includes('field "policy.client_id.allowed[0]": not valid JSON: bad \\u escape')).toBe(true, bad.error);
    const zero = parsePluginConfig('{"metrics":{"max_partition_series":01}}');
    expect(zero.error.includes('field "metrics.max_partition_series": not valid JSON: number with a leading zero')).toBe(true, zero.error);
    expect(parsePluginConfig('{"max_frame_bytes":-01}').error.includes("leading zero")).toBe(true);
    expect(parsePluginConfig('{"max_frame_bytes":1.}').error.includes("decimal point")).toBe(true);
    expect(parsePluginConfig('{"max_frame_bytes":1e}').error.includes("exponent")).toBe(true);
    expect(parsePluginConfig('{"max_frame_bytes":2-3}').error.includes("not valid JSON")).toBe(true);
    expect(parsePluginConfig('{"policy":{"client_id":{"allowed":["\\u0041"]}}}').error).toBe("");
    expect(parsePluginConfig('{"max_frame_bytes":0}').error.includes("must be between")).toBe(true);
    expect(parsePluginConfig('{"max_frame_bytes":2048e0}').error.includes("expected an integer")).toBe(true);
  });

  it("reads the series budget and the client software cap", () => {
    const d = parsePluginConfig("");
    expect(d.config.maxSeries).toBe(10000);
    expect(d.config.maxClientSoftware).toBe(100);
    const r = parsePluginConfig('{"metrics":{"max_series":500,"max_client_software":3}}');
    expect(r.error).toBe("");
    expect(r.config.maxSeries).toBe(500);
    expect(r.config.maxClientSoftware).toBe(3);
    expect(parsePluginConfig('{"metrics":{"max_series":5}}').error.includes("must be between 100 and 1000000")).toBe(true);
  });
});
