package istioxds

import (
	"fmt"
	"sort"
	"strings"

	extensions "istio.io/api/extensions/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	typeapi "istio.io/api/type/v1beta1"
)

// Diagnose names the manifest mistakes that explain a misplaced or missing filter, each
// with the fix. It reads the manifest against the pod; what Istio did is checked elsewhere.
func Diagnose(in Intent, w Workload) []string {
	var out []string
	say := func(format string, a ...any) { out = append(out, in.String()+": "+fmt.Sprintf(format, a...)) }
	mode, dir := typeapi.WorkloadMode_SERVER, networking.EnvoyFilter_SIDECAR_INBOUND
	if w.Side == Client {
		mode, dir = typeapi.WorkloadMode_CLIENT, networking.EnvoyFilter_SIDECAR_OUTBOUND
	}
	switch {
	case in.WasmPlugin != nil:
		wp := in.WasmPlugin
		if wp.GetType() != extensions.PluginType_NETWORK {
			say("type is %s (unset means HTTP), so Istio only adds the module to HTTP filter chains and port %d carries none: set `type: NETWORK`",
				wp.GetType(), kafkaPort)
		}
		if sel := wp.GetSelector().GetMatchLabels(); !subset(sel, w.Labels) {
			say("selector.matchLabels %s matches no pod like %s (labels %s): use labels the %s pods of istio/kafka carry",
				labels(sel), w.Name, labels(w.Labels), w.Side)
		}
		var ports []uint32
		modes := map[typeapi.WorkloadMode]bool{}
		for _, m := range wp.GetMatch() {
			modes[m.GetMode()] = true
			for _, p := range m.GetPorts() {
				ports = append(ports, p.GetNumber())
			}
		}
		if len(ports) > 0 && !hasPort(ports, kafkaPort) {
			say("match ports %v do not include %d, the Kafka port: set match[].ports[].number: %d", ports, kafkaPort, kafkaPort)
		}
		if len(ports) == 0 {
			say("match lists no port, so the module lands on every port of the %s: set match[].ports[].number: %d", w.Side, kafkaPort)
		}
		if len(modes) > 0 && !modes[mode] && !modes[typeapi.WorkloadMode_CLIENT_AND_SERVER] {
			say("match mode %s does not cover the %s side: use mode %s", keys(modes), w.Side, mode)
		}
	case in.EnvoyFilter != nil:
		ef := in.EnvoyFilter
		if sel := ef.GetWorkloadSelector().GetLabels(); !subset(sel, w.Labels) {
			say("workloadSelector.labels %s matches no pod like %s (labels %s): use labels the %s pods of istio/kafka carry",
				labels(sel), w.Name, labels(w.Labels), w.Side)
		}
		for i, cp := range ef.GetConfigPatches() {
			if cp.GetApplyTo() != networking.EnvoyFilter_NETWORK_FILTER {
				continue
			}
			m := cp.GetMatch()
			if m.GetContext() != dir {
				say("patch %d has context %s; the %s side needs %s", i, m.GetContext(), w.Side, dir)
			}
			if p := m.GetListener().GetPortNumber(); p != kafkaPort {
				say("patch %d matches listener port %d, not the Kafka port: set match.listener.portNumber: %d", i, p, kafkaPort)
			}
			if f := m.GetListener().GetFilterChain().GetFilter().GetName(); f != tcpProxyFilter {
				say("patch %d inserts before %q: use %s", i, f, tcpProxyFilter)
			}
		}
	}
	return out
}

func subset(sel, have map[string]string) bool {
	for k, v := range sel {
		if have[k] != v {
			return false
		}
	}
	return true
}

func hasPort(ports []uint32, p uint32) bool {
	for _, x := range ports {
		if x == p {
			return true
		}
	}
	return false
}

func labels(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return "{" + strings.Join(kv, ", ") + "}"
}

func keys(m map[typeapi.WorkloadMode]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k.String())
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
