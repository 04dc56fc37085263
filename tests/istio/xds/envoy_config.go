package istioxds

import (
	"fmt"
	"strings"
	"time"

	udpatype "github.com/cncf/xds/go/udpa/type/v1"
	xdstype "github.com/cncf/xds/go/xds/type/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	metricsv3 "github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3"
	tcpproxy "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Change is one thing of Istio's generated configuration that the upstream-Envoy run leaves
// out or replaces, and why.
type Change struct{ What, Why string }

func (c Change) String() string { return c.What + ": " + c.Why }

// istioOnly are the filter types of Istio's proxy build (istio/proxy extensions) that
// upstream Envoy does not have; a chain carrying one cannot load there.
var istioOnly = map[string]string{
	"envoy.tcp.metadataexchange.config.MetadataExchange": "Istio's TCP metadata exchange (istio/proxy), absent from upstream Envoy; it trades peer workload metadata for Istio's own telemetry and does not touch the Kafka bytes",
	"stats.PluginConfig": "Istio's standard metrics filter (istio/proxy), absent from upstream Envoy; it makes the istio_tcp_* series and does not touch the Kafka bytes",
}

// EnvoyConfig is what the upstream-Envoy run loads.
type EnvoyConfig struct {
	Bootstrap *bootstrapv3.Bootstrap
	ECDS      *discovery.DiscoveryResponse // served from ECDSPath
	ECDSPath  string
	Kept      []string // the chain's filters as Envoy runs them
	Changes   []Change
}

// AssembleEnvoy turns one generated chain into a listener on 127.0.0.1:listenPort whose
// tcp_proxy reaches the broker on brokerPort: the chain's filters as Istio made them,
// Istio-only filters removed, the ECDS reference served from ecdsPath with the resource
// istio-agent rewrote, and Istio's own stats_config.
func AssembleEnvoy(c Chain, rewritten map[string]*anypb.Any, stats *metricsv3.StatsConfig,
	listenPort, brokerPort int, ecdsPath, nodeID string) (*EnvoyConfig, error) {
	ec := &EnvoyConfig{ECDSPath: ecdsPath, ECDS: &discovery.DiscoveryResponse{
		VersionInfo: "1", TypeUrl: "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"}}
	change := func(what, why string, a ...any) {
		ec.Changes = append(ec.Changes, Change{what, fmt.Sprintf(why, a...)})
	}

	fc := proto.Clone(c.FilterChain).(*listener.FilterChain)
	if fc.GetFilterChainMatch() != nil {
		change("filter_chain_match", "the test listener has this one chain, so nothing to match (%s)", c)
		fc.FilterChainMatch = nil
	}
	if fc.GetTransportSocket() != nil {
		change("transport_socket", "Istio's mTLS needs its SDS certificates; the test uses the plaintext chain")
		fc.TransportSocket = nil
	}
	var filters []*listener.Filter
	var clusters []string
	for _, f := range fc.GetFilters() {
		typ := filterType(f)
		if why, ok := istioOnly[typ]; ok {
			change("filter "+f.GetName()+" ("+typ+")", "%s", why)
			continue
		}
		if cd := f.GetConfigDiscovery(); cd != nil {
			res, ok := rewritten[f.GetName()]
			if !ok {
				return nil, fmt.Errorf("filter %s: no rewritten ECDS resource", f.GetName())
			}
			cs := proto.Clone(cd.GetConfigSource()).(*core.ConfigSource)
			cs.ConfigSourceSpecifier = &core.ConfigSource_PathConfigSource{PathConfigSource: &core.PathConfigSource{Path: ecdsPath}}
			cd.ConfigSource = cs
			ec.ECDS.Resources = append(ec.ECDS.Resources, res)
			change("filter "+f.GetName()+" config source", "ADS becomes the file %s holding the ECDS resource exactly as istio-agent forwards it (no xDS server for upstream Envoy)", ecdsPath)
		} else if typ == "" || !strings.HasPrefix(typ, "envoy.") || !registered(typ) {
			return nil, fmt.Errorf("filter %s has type %q, neither an upstream Envoy type nor a known Istio-only one: name it in istioOnly with the reason", f.GetName(), typ)
		}
		if f.GetName() == tcpProxyFilter {
			tp := &tcpproxy.TcpProxy{}
			if err := f.GetTypedConfig().UnmarshalTo(tp); err != nil {
				return nil, err
			}
			clusters = append(clusters, tp.GetCluster())
			for _, w := range tp.GetWeightedClusters().GetClusters() {
				clusters = append(clusters, w.GetName())
			}
		}
		filters = append(filters, f)
		ec.Kept = append(ec.Kept, f.GetName())
	}
	fc.Filters = filters

	l := &listener.Listener{
		Name:             c.Listener.GetName(),
		Address:          socket(listenPort),
		FilterChains:     []*listener.FilterChain{fc},
		TrafficDirection: c.Listener.GetTrafficDirection(),
	}
	change("listener "+c.Listener.GetName(), "binds 127.0.0.1:%d with this chain only, instead of %s with its listener filters and other chains (no iptables redirect here)",
		listenPort, addr(c.Listener.GetAddress()))
	var cs []*clusterv3.Cluster
	for _, name := range clusters {
		if name == "" {
			continue
		}
		cs = append(cs, staticCluster(name, brokerPort))
		change("cluster "+name, "Istio's EDS cluster (mTLS to the pod) becomes a static cluster to the local broker 127.0.0.1:%d", brokerPort)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s: no tcp_proxy cluster", c)
	}
	ec.Bootstrap = &bootstrapv3.Bootstrap{
		Node:  &core.Node{Id: nodeID, Cluster: "kafka-istio-xds"},
		Admin: &bootstrapv3.Admin{Address: socket(0)},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{
			Listeners: []*listener.Listener{l},
			Clusters:  cs,
		},
		StatsConfig: stats,
	}
	return ec, nil
}

// filterType is the type name of a filter's typed_config, looking inside a TypedStruct
// (how older Istio wraps its own filters).
func filterType(f *listener.Filter) string {
	tc := f.GetTypedConfig()
	if tc == nil {
		return ""
	}
	name := strings.TrimPrefix(tc.GetTypeUrl(), "type.googleapis.com/")
	switch name {
	case "udpa.type.v1.TypedStruct":
		ts := &udpatype.TypedStruct{}
		if tc.UnmarshalTo(ts) == nil {
			return strings.TrimPrefix(ts.GetTypeUrl(), "type.googleapis.com/")
		}
	case "xds.type.v3.TypedStruct":
		ts := &xdstype.TypedStruct{}
		if tc.UnmarshalTo(ts) == nil {
			return strings.TrimPrefix(ts.GetTypeUrl(), "type.googleapis.com/")
		}
	}
	return name
}

// registered: the type is compiled into go-control-plane, i.e. an upstream Envoy API type.
func registered(typ string) bool {
	_, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(typ))
	return err == nil
}

func socket(port int) *core.Address {
	return &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
		Address: "127.0.0.1", PortSpecifier: &core.SocketAddress_PortValue{PortValue: uint32(port)}}}}
}

func addr(a *core.Address) string {
	s := a.GetSocketAddress()
	return fmt.Sprintf("%s:%d", s.GetAddress(), s.GetPortValue())
}

func staticCluster(name string, port int) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(5 * time.Second),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socket(port)}},
			}}}},
		},
	}
}
