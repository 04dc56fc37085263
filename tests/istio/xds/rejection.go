package istioxds

import (
	"fmt"
	"strings"
)

// moduleRefuses is how the module's proxy_on_configure reports a configuration it refuses
// (assembly/config: `invalid plugin configuration: field "...": ...`).
const moduleRefuses = "invalid plugin configuration"

// Refusal is the module's refusal line in Envoy's log, "" when there is none.
func Refusal(envoyLog string) string {
	for _, line := range strings.Split(envoyLog, "\n") {
		if i := strings.Index(line, moduleRefuses); i >= 0 {
			return strings.TrimSpace(line[i:])
		}
	}
	return ""
}

// RefusedConfig is the report of a refused configuration. Envoy still goes LIVE, but the
// ECDS resource is rejected and the chain has no filter configuration, so Envoy resets
// every connection on it, FAIL_OPEN or not.
func RefusedConfig(in Intent, refusal string) error {
	field := "spec.pluginConfig"
	if in.EnvoyFilter != nil {
		field = "the Wasm configuration value of the EXTENSION_CONFIG patch"
	}
	return fmt.Errorf("%s: Envoy refused the Kafka filter's configuration, the module said %q, and resets every connection on port %d until it is fixed: fix %s (README.md, Configuration reference)",
		in, refusal, kafkaPort, field)
}
