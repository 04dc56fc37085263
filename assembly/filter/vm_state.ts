// State shared by every connection of one VM (one plugin instance): the configuration and the
// label caps, so the cardinality of each label is bounded per VM as documented.
import { PluginConfig } from "../config/plugin_config";
import { LabelLimiter, sanitizeLabel } from "../metrics/labels";
import { registry } from "../metrics/registry";
import * as names from "../metrics/names";

export class VmState {
  clientIds: LabelLimiter;
  topics: LabelLimiter;

  constructor(public config: PluginConfig) {
    this.clientIds = new LabelLimiter(config.maxClientIds);
    this.topics = new LabelLimiter(config.maxTopics);
  }

  clientIdLabel(clientId: string): string {
    const before = this.clientIds.overflowed;
    const label = this.clientIds.admit(sanitizeLabel(clientId));
    if (this.clientIds.overflowed != before) registry.count(names.metricName(names.LABEL_OVERFLOW_TOTAL, [names.TAG_REASON, names.TAG_CLIENT_ID]));
    return label;
  }

  topicLabel(topic: string): string {
    const before = this.topics.overflowed;
    const label = this.topics.admit(sanitizeLabel(topic));
    if (this.topics.overflowed != before) registry.count(names.metricName(names.LABEL_OVERFLOW_TOTAL, [names.TAG_REASON, names.TAG_TOPIC]));
    return label;
  }
}
