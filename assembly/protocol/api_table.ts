// API keys as the framer and the filter need them, read from the tables the generator writes
// from Kafka's message specs (protocol/generated/apis.ts): one source of truth.
import {
  API_KEY_MAX, API_MAX_VERSION, API_KEY_API_VERSIONS, isValidVersion, apiName as generatedName,
  requestHeaderVersion as specRequestHeaderVersion, responseHeaderVersion as specResponseHeaderVersion,
} from "./generated/apis";

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
  return apiKey == <i32>API_KEY_API_VERSIONS && version > newestVersion(apiKey) && isPlausibleVersion(apiKey, version);
}
/**
 * The request header version, from the generated tables (Kafka's ApiMessageType.requestHeaderVersion:
 * the API's flexibleVersions "N+" decide), for the versions of a known key including plausible
 * ones above the newest decoded (a newer client's ApiVersions probe). For unknown keys and made-up
 * versions only the fields every header version has are read (v1).
 */
export function requestHeaderVersion(apiKey: i32, version: i32): i32 {
  const v = specRequestHeaderVersion(apiKey, version);
  return v == 2 && !isPlausibleVersion(apiKey, version) ? 1 : v;
}
/** The response header version of a request's response (generated tables; v0 for made-up versions). */
export function responseHeaderVersion(apiKey: i32, version: i32): i32 {
  return isPlausibleVersion(apiKey, version) ? specResponseHeaderVersion(apiKey, version) : 0;
}
