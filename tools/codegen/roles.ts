// Semantic roles of fields, entry kinds of arrays and error scopes.
// Single source of truth: emitted into assembly/codec/generated/roles.ts by the generator.
export const ROLES = {
  R_NONE: 0,
  R_TOPIC_NAME: 1,          // string, inside a topic entry
  R_TOPIC_ID: 2,            // uuid, inside a topic entry
  R_PARTITION_INDEX: 3,     // int32, inside a partition entry
  R_ERROR_CODE: 4,          // int16 named *ErrorCode
  R_THROTTLE_TIME_MS: 5,    // int32, top level of a response
  R_ACKS: 6,                // int16, top level of Produce request
  R_FETCH_OFFSET: 7,        // int64, Fetch request partition
  R_HIGH_WATERMARK: 8,      // int64
  R_LAST_STABLE_OFFSET: 9,  // int64
  R_LOG_START_OFFSET: 10,   // int64
  R_COMMITTED_OFFSET: 11,   // int64
  R_GROUP_ID: 12,           // string (entityType groupId)
  R_TRANSACTIONAL_ID: 13,   // string (entityType transactionalId)
  R_CLIENT_SOFTWARE_NAME: 14,    // string, ApiVersions request v3+
  R_CLIENT_SOFTWARE_VERSION: 15, // string, ApiVersions request v3+
  R_SASL_MECHANISM: 16,     // string, SaslHandshake request
  R_RESOURCE_NAME: 17,      // string, inside a resource entry
} as const;

export const ENTRIES = {
  E_NONE: 0, E_TOPIC: 1, E_PARTITION: 2, E_GROUP: 3, E_RESOURCE: 4,
} as const;

// Scope of an error code: the innermost array element kind, or the body itself.
export const SCOPES = {
  SCOPE_BODY: 0, SCOPE_TOPIC: 1, SCOPE_PARTITION: 2, SCOPE_GROUP: 3, SCOPE_RESOURCE: 4, SCOPE_OTHER: 5,
} as const;

/** Roles whose value is a captured (UTF-8 validated, capped) string. */
export const STRING_ROLES = new Set<number>([
  ROLES.R_TOPIC_NAME, ROLES.R_GROUP_ID, ROLES.R_TRANSACTIONAL_ID, ROLES.R_CLIENT_SOFTWARE_NAME,
  ROLES.R_CLIENT_SOFTWARE_VERSION, ROLES.R_SASL_MECHANISM, ROLES.R_RESOURCE_NAME,
]);
export const OFFSET_ROLES = new Set<number>([
  ROLES.R_FETCH_OFFSET, ROLES.R_HIGH_WATERMARK, ROLES.R_LAST_STABLE_OFFSET, ROLES.R_LOG_START_OFFSET,
  ROLES.R_COMMITTED_OFFSET,
]);
/** Captured strings keep at most this many UTF-8 bytes (cut at a character boundary). */
export const STRING_CAP = 255;
