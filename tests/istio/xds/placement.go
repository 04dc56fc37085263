package istioxds

import (
	"fmt"
	"sort"
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// Delivery is where and how istiod delivered the module to one sidecar, and what is wrong
// with it (each problem says what to change in the manifest).
type Delivery struct {
	Sidecar  *Sidecar
	Intent   Intent
	Placed   []Chain         // the chains that carry the Kafka filter
	Without  []Chain         // the chains checked to be without it
	ECDS     map[string]bool // names of the ECDS resources that carry our module
	Problems []string
}

// direction is where the filter belongs: inbound on the broker, outbound on the client.
func direction(side Side) core.TrafficDirection {
	if side == Client {
		return core.TrafficDirection_OUTBOUND
	}
	return core.TrafficDirection_INBOUND
}

func dirName(d core.TrafficDirection) string { return strings.ToLower(d.String()) }

// wants is the placement rule: the port 9092 chains of the side's direction, nothing else.
func wants(side Side, c Chain) bool {
	return c.Direction == direction(side) && c.Port == kafkaPort
}

// Check finds the Kafka filter in the sidecar's listeners and checks its placement and its
// ECDS resource against the manifest.
func Check(sc *Sidecar, in Intent) *Delivery {
	d := &Delivery{Sidecar: sc, Intent: in, ECDS: map[string]bool{}}
	for name, res := range sc.Extensions {
		if _, c, _, err := wasmOf(res); err == nil && c != nil && moduleURL(c) == in.URL {
			d.ECDS[name] = true
		}
	}
	side, dir := sc.Workload.Side, dirName(direction(sc.Workload.Side))
	var wanted, missing []Chain
	misplaced := false
	problem := func(format string, a ...any) {
		d.Problems = append(d.Problems, fmt.Sprintf(format, a...))
		misplaced = true
	}
	for _, c := range Chains(sc.Listeners) {
		var at []int
		tcp := -1
		for i, f := range c.Filters {
			if d.ECDS[f.GetName()] {
				at = append(at, i)
			}
			if f.GetName() == tcpProxyFilter {
				tcp = i
			}
		}
		for _, h := range c.HTTPFilters {
			if d.ECDS[h.GetName()] {
				problem("%s: the module is an HTTP filter here (inside http_connection_manager)", c)
			}
		}
		want := wants(side, c)
		if want {
			wanted = append(wanted, c)
		}
		names := strings.Join(c.FilterNames(), ", ")
		switch {
		case want && len(at) == 0:
			missing = append(missing, c)
		case !want && len(at) > 0:
			problem("%s: the Kafka filter is here, but on the %s it belongs on the port %d %s chains only", c, side, kafkaPort, dir)
		case len(at) > 1:
			problem("%s: the Kafka filter is there %d times (%s)", c, len(at), names)
		case !want:
			d.Without = append(d.Without, c)
		case tcp < 0 || at[0] > tcp:
			problem("%s: the Kafka filter is not before %s (%s)", c, tcpProxyFilter, names)
		default:
			f := c.Filters[at[0]]
			if f.GetConfigDiscovery() == nil || f.GetTypedConfig() != nil {
				problem("%s: filter %s is not delivered over ECDS (no config_discovery)", c, f.GetName())
			} else if !hasString(f.GetConfigDiscovery().GetTypeUrls(), wasmNetworkType) {
				problem("%s: filter %s: config_discovery type_urls %v lack %s", c, f.GetName(), f.GetConfigDiscovery().GetTypeUrls(), wasmNetworkType)
			}
			d.Placed = append(d.Placed, c)
		}
	}
	for _, n := range discoveredNames(sc.Listeners) {
		if _, ok := sc.Extensions[n]; !ok {
			problem("the listeners refer to ECDS resource %s, but istiod sent none", n)
		}
	}
	if len(wanted) == 0 {
		problem("istiod generated no %s chain for port %d for %s: the Kafka Services of istio/kafka should give one", dir, kafkaPort, sc.Workload.Name)
	}
	if len(missing) > 0 {
		problem("no Kafka filter on %d of the %d port %d %s chains of the %s sidecar, e.g. %s (filters: %s)",
			len(missing), len(wanted), kafkaPort, dir, side, missing[0], strings.Join(missing[0].FilterNames(), ", "))
	}
	var names []string
	for n := range d.ECDS {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d.Problems = append(d.Problems, checkECDS(n, sc.Extensions[n], in)...)
	}
	if misplaced {
		d.Problems = append(d.Problems, Diagnose(in, sc.Workload)...)
	}
	return d
}

// Summary counts the chains checked to be without the filter, by direction and port.
func (d *Delivery) Summary() string {
	count := map[string]int{}
	for _, c := range d.Without {
		port := fmt.Sprint(c.Port)
		if c.Port == 0 {
			port = "passthrough"
		}
		count[dirName(c.Direction)+" "+port]++
	}
	var parts []string
	for k, n := range count {
		parts = append(parts, fmt.Sprintf("%s x%d", k, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("the filter is on %d chain(s) and absent from the %d others: %s", len(d.Placed), len(d.Without), strings.Join(parts, ", "))
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
