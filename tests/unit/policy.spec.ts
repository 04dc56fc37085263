import { globMatch } from "../../assembly/policy/glob";
import { parsePluginConfig } from "../../assembly/config/plugin_config";
import { Policy, RULE_API_DENIED, RULE_API_VERSION, RULE_CLIENT_ID_DENIED, RULE_CLIENT_ID_MISSING, RULE_COMPRESSION, RULE_ACKS, RULE_RECORDS_SIZE, RULE_TRANSACTIONAL } from "../../assembly/policy/policy";
import { MODE_AUDIT } from "../../assembly/config/policy_config";
import { RecordsInfo } from "../../assembly/codec/sink";

function policy(json: string): Policy {
  const r = parsePluginConfig(json);
  expect(r.error).toBe("");
  return new Policy(r.config.policy);
}

describe("glob", () => {
  it("matches literal text and stars", () => {
    expect(globMatch("orders-*", "orders-service")).toBe(true);
    expect(globMatch("orders-*", "billing")).toBe(false);
    expect(globMatch("*-batch", "billing-batch")).toBe(true);
    expect(globMatch("a*b*c", "axxbyyc")).toBe(true);
    expect(globMatch("a*b*c", "axxbyy")).toBe(false);
    expect(globMatch("*", "")).toBe(true);
    expect(globMatch("exact", "exact")).toBe(true);
    expect(globMatch("exact", "exactly")).toBe(false);
  });
  it("stays fast on hostile input", () => {
    let text = "";
    for (let i = 0; i < 255; i++) text += "a";
    expect(globMatch("*a*a*a*a*a*a*a*a*b", text)).toBe(false);
  });
});

describe("policy", () => {
  it("says which requests an enforcing filter must hold until their body is decoded", () => {
    expect(policy("{}").checksBody(0)).toBe(false);
    expect(policy('{"policy":{"client_id":{"required":true}}}').checksBody(0)).toBe(false);
    const p = policy('{"policy":{"produce":{"allowed_compression":["lz4"]}}}');
    expect(p.checksBody(0)).toBe(true); // Produce
    expect(p.checksBody(1)).toBe(false); // Fetch: no body rules
    expect(policy('{"policy":{"produce":{"allowed_acks":[-1]}}}').checksBody(0)).toBe(true);
    expect(policy('{"policy":{"produce":{"max_records_bytes":1024}}}').checksBody(0)).toBe(true);
    expect(policy('{"policy":{"produce":{"deny_transactional":true}}}').checksBody(0)).toBe(true);
  });

  it("is off without a policy section", () => {
    const p = policy("{}");
    expect(p.checkHeader(32, 0, null)).toBe("");
  });

  it("allows listed APIs only, and always ApiVersions", () => {
    const p = policy('{"policy":{"allowed_apis":["Produce","Metadata"]}}');
    expect(p.checkHeader(0, 9, "c")).toBe("");
    expect(p.checkHeader(18, 3, "c")).toBe("");
    expect(p.checkHeader(20, 6, "c")).toBe(RULE_API_DENIED);
  });

  it("denies listed APIs and old versions", () => {
    const p = policy('{"policy":{"denied_apis":["DeleteTopics"],"min_versions":{"Produce":7}}}');
    expect(p.checkHeader(20, 6, "c")).toBe(RULE_API_DENIED);
    expect(p.checkHeader(0, 5, "c")).toBe(RULE_API_VERSION);
    expect(p.checkHeader(0, 7, "c")).toBe("");
  });

  it("applies client id rules", () => {
    const p = policy('{"policy":{"mode":"audit","client_id":{"required":true,"allowed":["orders-*","billing-*"],"denied":["*-test"]}}}');
    expect(p.config.mode).toBe(MODE_AUDIT);
    expect(p.checkHeader(3, 12, null)).toBe(RULE_CLIENT_ID_MISSING);
    expect(p.checkHeader(3, 12, "")).toBe(RULE_CLIENT_ID_MISSING);
    expect(p.checkHeader(3, 12, "orders-api")).toBe("");
    expect(p.checkHeader(3, 12, "orders-test")).toBe(RULE_CLIENT_ID_DENIED);
    expect(p.checkHeader(3, 12, "rogue")).toBe(RULE_CLIENT_ID_DENIED);
  });

  it("applies produce rules", () => {
    const p = policy('{"policy":{"produce":{"allowed_compression":["zstd","lz4"],"max_records_bytes":1000,"allowed_acks":[-1],"deny_transactional":true}}}');
    expect(p.checkAcks(-1)).toBe("");
    expect(p.checkAcks(0)).toBe(RULE_ACKS);
    const info = new RecordsInfo();
    info.totalBytes = 500;
    info.batchCount = 1;
    info.firstCodec = 4;
    expect(p.checkRecords(info)).toBe("");
    info.firstCodec = 0;
    expect(p.checkRecords(info)).toBe(RULE_COMPRESSION);
    info.firstCodec = 3;
    info.totalBytes = 2000;
    expect(p.checkRecords(info)).toBe(RULE_RECORDS_SIZE);
    info.totalBytes = 100;
    info.attributesOr = 0x10 | 3;
    expect(p.checkRecords(info)).toBe(RULE_TRANSACTIONAL);
  });

  it("rejects bad policy configuration, naming the field", () => {
    expect(parsePluginConfig('{"policy":{"allowed_apis":["Produce","Fecth"]}}').error.includes('"policy.allowed_apis[1]": unknown API "Fecth"')).toBe(true);
    expect(parsePluginConfig('{"policy":{"denied_apis":["ApiVersions"]}}').error.includes("cannot be denied")).toBe(true);
    expect(parsePluginConfig('{"policy":{"mode":"block"}}').error.includes('"policy.mode": must be one of enforce, audit')).toBe(true);
    expect(parsePluginConfig('{"policy":{"produce":{"allowed_compression":["brotli"]}}}').error.includes('"policy.produce.allowed_compression[0]": unknown compression')).toBe(true);
    expect(parsePluginConfig('{"policy":{"min_versions":{"Produce":"7"}}}').error.includes('"policy.min_versions.Produce": expected an integer')).toBe(true);
    expect(parsePluginConfig('{"policy":{"client_id":{"allowed":"x"}}}').error.includes('"policy.client_id.allowed": expected an array')).toBe(true);
    expect(parsePluginConfig('{"policy":{"produce":{"allowed_acks":[2]}}}').error.includes('"policy.produce.allowed_acks[0]"')).toBe(true);
  });
});
