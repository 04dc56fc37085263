package istioxds

import (
	"os"
	"testing"

	"istio.io/istio/pkg/log"
)

// TestMain keeps istiod's and istio-agent's own logging to errors (ISTIO_LOG=debug|info|warn
// shows more; the suite reports what it checks itself). Two scopes stay silent unless asked:
// "default", whose CRD watcher complains that the fake cluster's Gateway API CRDs carry no
// bundle-version annotation, and "controllers", whose gateway-class controller races itself
// in the fake cluster on Istio 1.27.
func TestMain(m *testing.M) {
	level, quiet := log.ErrorLevel, log.NoneLevel
	if l := os.Getenv("ISTIO_LOG"); l != "" {
		level, quiet = log.StringToLevel(l), log.StringToLevel(l)
	}
	for name, s := range log.Scopes() {
		if name == log.DefaultScopeName || name == "controllers" {
			s.SetOutputLevel(quiet)
		} else {
			s.SetOutputLevel(level)
		}
	}
	os.Exit(m.Run())
}
