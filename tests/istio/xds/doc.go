// Package istioxds runs our shipped Istio manifests through Istio's own control-plane and
// agent code, then through real Envoy:
//
//  1. istiod: the manifests, the Kafka Services of istio/kafka and the mesh settings of
//     istio/mesh go into Istio's fake discovery server (pilot/test/xds); a broker pod's and a
//     client pod's sidecar connect over ADS and receive their listeners (LDS) and the
//     module's configuration (ECDS), exactly as a sidecar does.
//  2. placement: the Kafka filter must be an envoy.filters.network.wasm filter delivered over
//     ECDS, once, before tcp_proxy, on the port 9092 chains of the right direction only, with
//     the image reference and digest of `make image`, the plugin configuration and the
//     failure policy of the manifest (placement.go, ecds.go). A mistake is reported with
//     what to fix (diagnose.go).
//  3. istio-agent: the ECDS resource goes through pkg/wasm's cache against a real registry,
//     which must rewrite it to a local file holding our module (agent.go).
//  4. Envoy: the generated chain and the rewritten ECDS resource run in real Envoy, with the
//     stats tag extraction Istio's bootstrap template renders for istio/mesh's
//     extraStatTags, in front of a real broker; kcat's traffic must show up as labelled
//     series on /stats/prometheus (envoy_config.go, envoy.go, kafka.go).
package istioxds
