# Istio delivery: OCI image of the module, push, manifest validation + registry round trip.
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

# Manifest validation (strict API types) + OCI unit tests + real-registry round trip
# through istio-agent's image fetcher. WASM is used when it exists, else a stand-in.
test-istio:
	cd tools/oci && go test ./...
	cd tests/istio && WASM="$(if $(wildcard $(WASM)),$(abspath $(WASM)))" go test -count=1 ./...
