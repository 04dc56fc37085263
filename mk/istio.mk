# Istio delivery: OCI image of the module, push, manifest validation, registry round trip and
# the xDS suite (istiod -> istio-agent -> Envoy).
WASM        ?= build/kafka-filter.wasm
OCI_LAYOUT  ?= build/oci/kafka-filter
OCI_VARIANT ?= compat
IMAGE       ?=
OCI_TOOL    := go -C tools/oci run .

.PHONY: image push test-istio istio-render

# Reproducible image: same .wasm -> same digest (printed, and kept in $(OCI_LAYOUT).digest).
image:
	@test -f "$(WASM)" || { echo "missing $(WASM): run 'make build' (or pass WASM=...)"; exit 1; }
	@mkdir -p $(dir $(OCI_LAYOUT))
	@$(OCI_TOOL) build -wasm "$(abspath $(WASM))" -out "$(abspath $(OCI_LAYOUT))" -variant $(OCI_VARIANT) | tee "$(abspath $(OCI_LAYOUT)).digest"

# make push IMAGE=registry.example.com/mesh/kafka-filter:0.1.0
# (equivalent with crane: crane push $(OCI_LAYOUT) $(IMAGE))
push: image
	@test -n "$(IMAGE)" || { echo "usage: make push IMAGE=registry/name:tag"; exit 1; }
	@$(OCI_TOOL) push -layout "$(abspath $(OCI_LAYOUT))" -image "$(IMAGE)"

# Writes build/istio/ with url/sha256 filled in from IMAGE and the built digest.
istio-render: image
	@test -n "$(IMAGE)" || { echo "usage: make istio-render IMAGE=registry/name:tag"; exit 1; }
	@rm -rf build/istio && mkdir -p build/istio && cp -r istio/wasmplugin istio/envoyfilter istio/kafka istio/mesh build/istio/
	@d=$$(cut -d: -f2 "$(OCI_LAYOUT).digest"); \
	  find build/istio -name '*.yaml' -exec sed -i \
	    -e "s#oci://registry.example.com/mesh/kafka-filter:0.1.0#oci://$(IMAGE)#" \
	    -e "s#\"0000000000000000000000000000000000000000000000000000000000000000\"#\"$$d\"#" {} +; \
	  echo "build/istio: url oci://$(IMAGE) sha256 $$d"

# Manifest validation (strict API types), OCI unit tests, the real-registry round trip
# through istio-agent's image fetcher, and the xDS suite (tests/istio/xds): the shipped
# manifests through istiod, istio-agent's Wasm cache and real Envoy in front of a real broker.
# The xDS suite runs twice: built against the newest Istio release the Go module proxy serves
# (go.mod) on the newest pinned Envoy, and against the floor release (go.floor.mod) on the
# oldest pinned Envoy. ISTIO_TEST_FLAGS=-v prints the generated chains and the series seen.
ISTIO_FLOOR_MODFILE := $(abspath tests/istio/go.floor.mod)
ISTIO_FLOOR_ENVOY   ?= $(shell grep -v '^\#' tests/envoy/versions.tsv | tail -1 | cut -f1)
ISTIO_TEST_FLAGS    ?=
test-istio: $(WASM)
	cd tools/oci && go test ./...
	cd tests/istio && WASM="$(abspath $(WASM))" ENVOY_BIN="$$(bash ../envoy/install.sh --path)" \
	  go test -count=1 $(ISTIO_TEST_FLAGS) ./...
	cd tests/istio && GOFLAGS="$$(go env GOFLAGS) -modfile=$(ISTIO_FLOOR_MODFILE)" \
	  ENVOY_BIN="$$(bash ../envoy/install.sh --path $(ISTIO_FLOOR_ENVOY))" go test -count=1 $(ISTIO_TEST_FLAGS) ./xds/
