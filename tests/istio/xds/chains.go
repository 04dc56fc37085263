package istioxds

import (
	"fmt"
	"sort"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"istio.io/istio/pilot/pkg/model"
)

const (
	tcpProxyFilter = "envoy.filters.network.tcp_proxy"
	hcmFilter      = "envoy.filters.network.http_connection_manager"
)

// Chain is one filter chain of a generated listener, the unit the filter is placed on.
type Chain struct {
	Listener    *listener.Listener
	FilterChain *listener.FilterChain
	Direction   core.TrafficDirection
	// Port is the destination port the chain serves; 0 for chains that serve any port
	// (the passthrough chains of virtualInbound / virtualOutbound).
	Port        uint32
	Filters     []*listener.Filter
	HTTPFilters []*hcm.HttpFilter // filters of an http_connection_manager on the chain
}

func (c Chain) String() string {
	dir := "outbound"
	if c.Direction == core.TrafficDirection_INBOUND {
		dir = "inbound"
	}
	name := c.FilterChain.GetName()
	if name == "" {
		name = "-"
	}
	tp := c.FilterChain.GetFilterChainMatch().GetTransportProtocol()
	if tp != "" {
		name += " [" + tp + "]"
	}
	return fmt.Sprintf("%s listener %s chain %s (port %d)", dir, c.Listener.GetName(), name, c.Port)
}

// FilterNames lists the chain's network filters in order.
func (c Chain) FilterNames() []string {
	var n []string
	for _, f := range c.Filters {
		n = append(n, f.GetName())
	}
	return n
}

// Chains lists every filter chain of the listeners, default chains included.
func Chains(ls []*listener.Listener) []Chain {
	var out []Chain
	for _, l := range ls {
		fcs := append([]*listener.FilterChain{}, l.GetFilterChains()...)
		if l.GetDefaultFilterChain() != nil {
			fcs = append(fcs, l.GetDefaultFilterChain())
		}
		for _, fc := range fcs {
			c := Chain{Listener: l, FilterChain: fc, Direction: l.GetTrafficDirection(), Filters: fc.GetFilters()}
			switch {
			case fc.GetFilterChainMatch().GetDestinationPort() != nil:
				c.Port = fc.GetFilterChainMatch().GetDestinationPort().GetValue()
			case l.GetName() == model.VirtualInboundListenerName || l.GetName() == model.VirtualOutboundListenerName:
				c.Port = 0
			default:
				c.Port = l.GetAddress().GetSocketAddress().GetPortValue()
			}
			for _, f := range fc.GetFilters() {
				if f.GetName() != hcmFilter || f.GetTypedConfig() == nil {
					continue
				}
				m := &hcm.HttpConnectionManager{}
				if err := f.GetTypedConfig().UnmarshalTo(m); err == nil {
					c.HTTPFilters = append(c.HTTPFilters, m.GetHttpFilters()...)
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// discoveredNames are the ECDS resource names the listeners refer to (network and HTTP).
func discoveredNames(ls []*listener.Listener) []string {
	set := map[string]bool{}
	for _, c := range Chains(ls) {
		for _, f := range c.Filters {
			if f.GetConfigDiscovery() != nil {
				set[f.GetName()] = true
			}
		}
		for _, f := range c.HTTPFilters {
			if f.GetConfigDiscovery() != nil {
				set[f.GetName()] = true
			}
		}
	}
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
