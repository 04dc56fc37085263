// What the traffic sink needs to know about topics beyond one frame, kept per VM by its owner
// (filter/vm_state.ts): the label a topic name gets, the names Metadata responses gave topic ids,
// the topics Metadata responses named, and which client software (name, version) pairs may have
// their own labels.
export abstract class TopicDirectory {
  /** The `topic` label of a topic name (sanitised, capped). */
  abstract topicLabel(topic: string): string;
  /** Remembers the name a Metadata response gave a topic id. */
  abstract learnTopicId(hi: u64, lo: u64, name: string): void;
  /** The topic name for an id, or "" when no Metadata response has named it yet. */
  abstract topicNameForId(hi: u64, lo: u64): string;
  /** Notes a topic named in a Metadata response; true when it is new to the whole sidecar. */
  abstract noteMetadataTopic(name: string): bool;
  /**
   * Whether a client software (name, version) pair, both sanitised, gets its own labels: false
   * once the VM's cap of distinct pairs is reached (the caller then labels it `other`).
   */
  abstract clientSoftwareLabels(name: string, version: string): bool;
}
