// Evaluates the governance policy against what the decoders report. Returns the violated rule
// (a short, bounded name used as the `reason` label), or "" when the request is allowed.
import { PolicyConfig } from "../config/policy_config";
import { matchesAny } from "./glob";
import { RecordsInfo, RECORDS_NULL } from "../codec/sink";
import { API_KEY_PRODUCE } from "../protocol/generated/apis";

export const RULE_API_DENIED = "api_denied";
export const RULE_API_VERSION = "api_version_too_old";
export const RULE_CLIENT_ID_MISSING = "client_id_missing";
export const RULE_CLIENT_ID_DENIED = "client_id_denied";
export const RULE_COMPRESSION = "produce_compression";
export const RULE_RECORDS_SIZE = "produce_records_too_large";
export const RULE_ACKS = "produce_acks";
export const RULE_TRANSACTIONAL = "produce_transactional";

export class Policy {
  constructor(public config: PolicyConfig) {}

  /** Rules decided by the request header. */
  checkHeader(apiKey: i16, apiVersion: i16, clientId: string | null): string {
    const c = this.config;
    if (!c.enabled) return "";
    if (apiKey >= 0 && <i32>apiKey < c.apiAllowed.length) {
      if (!c.apiAllowed[apiKey]) return RULE_API_DENIED;
      if (apiVersion < c.minVersion[apiKey]) return RULE_API_VERSION;
    }
    const id = clientId === null ? "" : (clientId as string);
    if (id.length == 0) {
      if (c.clientIdRequired) return RULE_CLIENT_ID_MISSING;
    } else {
      if (c.clientIdDenied.length > 0 && matchesAny(c.clientIdDenied, id)) return RULE_CLIENT_ID_DENIED;
      if (c.clientIdAllowed.length > 0 && !matchesAny(c.clientIdAllowed, id)) return RULE_CLIENT_ID_DENIED;
    }
    return "";
  }

  /** True when a request of this API can break a rule only its body shows (Produce rules). */
  checksBody(apiKey: i16): bool {
    const c = this.config;
    return c.enabled && apiKey == API_KEY_PRODUCE && (c.produceAcks.length > 0 || c.produceMaxBytes > 0 || c.produceCodecs != 0 || c.produceDenyTransactional);
  }

  checkAcks(acks: i16): string {
    const c = this.config;
    if (!c.enabled || c.produceAcks.length == 0) return "";
    return c.produceAcks.includes(<i32>acks) ? "" : RULE_ACKS;
  }

  /** Rules for one records field of a Produce request (one partition's batches). */
  checkRecords(info: RecordsInfo): string {
    const c = this.config;
    if (!c.enabled || (info.flags & RECORDS_NULL) != 0) return "";
    if (c.produceMaxBytes > 0 && info.totalBytes > c.produceMaxBytes) return RULE_RECORDS_SIZE;
    // A producer compresses all its batches alike, so the first batch's codec stands for them.
    if (c.produceCodecs != 0 && info.batchCount > 0 && (c.produceCodecs & (1 << info.firstCodec)) == 0) return RULE_COMPRESSION;
    if (c.produceDenyTransactional && info.transactional) return RULE_TRANSACTIONAL;
    return "";
  }
}
