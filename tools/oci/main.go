// Command oci builds and pushes the Kafka filter's Wasm OCI image.
//
//	oci build -wasm build/kafka-filter.wasm -out build/oci/kafka-filter [-variant compat|artifact] [-tag latest]
//	    writes an OCI image layout and prints the manifest digest (sha256:...)
//	oci push -layout build/oci/kafka-filter -image registry/name:tag [-insecure]
//	    pushes the layout's image with go-containerregistry's remote package
//	    and prints registry/name@sha256:...
//	oci digest -layout build/oci/kafka-filter
//	    prints the manifest digest of a layout
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"kafka-envoy-wasm-filter/tools/oci/wasmimage"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "push":
		err = push(os.Args[2:])
	case "digest":
		err = digest(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oci:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: oci build|push|digest [flags] (see -h of each)")
	os.Exit(2)
}

func build(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	wasmPath := fs.String("wasm", "build/kafka-filter.wasm", "Proxy-Wasm module to package")
	out := fs.String("out", "build/oci/kafka-filter", "OCI image layout directory to (re)create")
	variant := fs.String("variant", string(wasmimage.VariantCompat), "image variant: compat (tar.gz layer with plugin.wasm) or artifact (raw wasm layer)")
	tag := fs.String("tag", "latest", "org.opencontainers.image.ref.name of the image in index.json")
	_ = fs.Parse(args)

	wasm, err := os.ReadFile(*wasmPath)
	if err != nil {
		return err
	}
	img, err := wasmimage.Build(wasm, wasmimage.Variant(*variant))
	if err != nil {
		return fmt.Errorf("%s: %w", *wasmPath, err)
	}
	if err := wasmimage.WriteLayout(*out, img, *tag); err != nil {
		return err
	}
	return printDigest(img)
}

func push(args []string) error {
	fs := flag.NewFlagSet("push", flag.ExitOnError)
	dir := fs.String("layout", "build/oci/kafka-filter", "OCI image layout directory written by build")
	image := fs.String("image", "", "destination reference, e.g. registry.example.com/mesh/kafka-filter:0.1.0")
	insecure := fs.Bool("insecure", false, "allow plain HTTP to the registry (loopback registries are plain HTTP already)")
	_ = fs.Parse(args)
	if *image == "" {
		return fmt.Errorf("push: -image is required")
	}
	var opts []name.Option
	if *insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(*image, opts...)
	if err != nil {
		return err
	}
	img, err := wasmimage.ReadLayout(*dir)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Println(ref.Context().Digest(d.String()).String())
	return nil
}

func digest(args []string) error {
	fs := flag.NewFlagSet("digest", flag.ExitOnError)
	dir := fs.String("layout", "build/oci/kafka-filter", "OCI image layout directory")
	_ = fs.Parse(args)
	img, err := wasmimage.ReadLayout(*dir)
	if err != nil {
		return err
	}
	return printDigest(img)
}

// printDigest prints the manifest digest: what Istio's WasmPlugin `sha256` must hold for oci:// URLs.
func printDigest(img v1.Image) error {
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Println(d.String())
	return nil
}
