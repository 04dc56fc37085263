// API keys as the framer needs them, read from the tables the codec generator writes from
// Kafka's message specs (assembly/codec/generated/apis.ts): one source of truth.
import { API_KEY_MAX, isValidVersion, isFlexibleRequest, apiName as generatedName } from "../codec/generated/apis";

export function apiKeyCount(): i32 {
  return API_KEY_MAX + 1;
}
/** True when the key and version are ones the codec can decode. */
export function isKnownApi(apiKey: i32, version: i32): bool {
  return isValidVersion(apiKey, version);
}
/** The API's name, or "unknown" for keys the specs do not define. */
export function apiName(apiKey: i32): string {
  const name = generatedName(apiKey);
  return name.length > 0 ? name : "unknown";
}
/**
 * True when headers of this API version carry tagged fields (request v2 / response v1). For a
 * version the specs do not define this cannot be known, so only the fields every header version
 * has are read; the frame is counted as unknown and its body skipped by its length.
 */
export function isFlexible(apiKey: i32, version: i32): bool {
  return isValidVersion(apiKey, version) && isFlexibleRequest(apiKey, version);
}
