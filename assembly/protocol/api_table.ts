// API keys as the framer needs them, read from the tables the codec generator writes from
// Kafka's message specs (assembly/codec/generated/apis.ts): one source of truth.
import { API_KEY_MAX, API_MAX_VERSION, isValidVersion, isFlexibleRequest, isFlexibleResponse, apiName as generatedName } from "../codec/generated/apis";

export const API_VERSIONS_KEY: i16 = 18;

export function apiKeyCount(): i32 {
  return API_KEY_MAX + 1;
}
/** True when the key and version are ones the codec can decode. */
export function isKnownApi(apiKey: i32, version: i32): bool {
  return isValidVersion(apiKey, version);
}
/** True when the key names an API of the tables (whatever the version). */
export function isKnownKey(apiKey: i32): bool {
  return generatedName(apiKey).length > 0;
}
/**
 * Versions of a known key above the newest the tables decode that are still read as Kafka would
 * (header per flexibleVersions, a labelled api_version): a newer client's or broker's next few
 * versions. Further versions are made up: only the fields every header version has are read.
 */
export const VERSION_SLACK: i32 = 8;

/** True for a known key and a version from 0 to VERSION_SLACK above the newest decoded. */
export function isPlausibleVersion(apiKey: i32, version: i32): bool {
  return version >= 0 && isKnownKey(apiKey) && version <= newestVersion(apiKey) + VERSION_SLACK;
}
/** The newest version the codec decodes, or -1 for keys the tables do not have. */
export function newestVersion(apiKey: i32): i32 {
  return isKnownKey(apiKey) ? <i32>unchecked(API_MAX_VERSION[apiKey]) : -1;
}
/** The API's name, or "unknown" for keys the specs do not define. */
export function apiName(apiKey: i32): string {
  const name = generatedName(apiKey);
  return name.length > 0 ? name : "unknown";
}
/**
 * An ApiVersions request newer than the tables. Kafka's broker answers it (RequestContext:
 * "unsupported ApiVersion requests are treated as v0 requests and are not parsed") with an
 * UNSUPPORTED_VERSION error in a v0 response body, so that clients can probe with the newest
 * version they know and retry lower.
 */
export function isApiVersionsProbe(apiKey: i32, version: i32): bool {
  return apiKey == <i32>API_VERSIONS_KEY && version > newestVersion(apiKey) && isPlausibleVersion(apiKey, version);
}
/**
 * True when the request header has tagged fields (header v2). As in Kafka's generated
 * ApiMessageType.requestHeaderVersion, this follows the API's flexibleVersions ("N+") for the
 * versions of a known key, including plausible ones above the newest the tables decode (a newer
 * client's ApiVersions probe); for unknown keys and made-up versions only the fields every header
 * version has are read.
 */
export function isFlexible(apiKey: i32, version: i32): bool {
  return isPlausibleVersion(apiKey, version) && isFlexibleRequest(apiKey, version);
}
/** True when the response header has tagged fields (v1); ApiVersions responses always use v0. */
export function isFlexibleResponseHeader(apiKey: i32, version: i32): bool {
  return apiKey != <i32>API_VERSIONS_KEY && isPlausibleVersion(apiKey, version) && isFlexibleResponse(apiKey, version);
}
