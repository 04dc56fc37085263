package istioxds

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kafka-envoy-wasm-filter/tests/istio/internal/testenv"
)

// KafkaBroker is a real Kafka broker (tests/kafka/kafka-up.sh) on free loopback ports that
// advertises the Envoy listener port, so every client connection goes through Envoy.
type KafkaBroker struct {
	Port int // the broker's own client listener, tcp_proxy's upstream
	root string
	env  []string
}

// StartBroker starts the broker until the test ends.
func StartBroker(t testing.TB, root string, advertised int) *KafkaBroker {
	t.Helper()
	b := &KafkaBroker{Port: testenv.FreePort(t), root: root}
	b.env = append(os.Environ(),
		"KAFKA_PORT="+strconv.Itoa(b.Port),
		"KAFKA_CONTROLLER_PORT="+strconv.Itoa(testenv.FreePort(t)),
		"KAFKA_INTERNAL_PORT="+strconv.Itoa(testenv.FreePort(t)),
		"HOST_PORT="+strconv.Itoa(advertised),
		"KAFKA_WORK="+filepath.Join(t.TempDir(), "kafka"),
	)
	if out, err := b.script("kafka-up.sh"); err != nil {
		t.Fatalf("kafka-up.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := b.script("kafka-down.sh"); err != nil {
			t.Errorf("kafka-down.sh: %v\n%s", err, out)
		}
	})
	return b
}

func (b *KafkaBroker) script(name string) (string, error) {
	cmd := exec.Command("bash", filepath.Join(b.root, "tests", "kafka", name))
	cmd.Env = b.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Kcat runs librdkafka's kcat against bootstrap, feeding it stdin.
func Kcat(bootstrap, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kcat", append([]string{"-b", bootstrap}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kcat %v: %v\n%s", args, err, errb.String())
	}
	return out.String(), nil
}

// ProduceConsume produces n records to topic as clientID and reads them back.
func ProduceConsume(bootstrap, topic, clientID string, n int) error {
	var in strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&in, "record-%d\n", i)
	}
	if _, err := Kcat(bootstrap, in.String(), "-P", "-t", topic, "-X", "client.id="+clientID); err != nil {
		return err
	}
	out, err := Kcat(bootstrap, "", "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-X", "client.id="+clientID)
	if err != nil {
		return err
	}
	if got := strings.Count(out, "record-"); got != n {
		return fmt.Errorf("consumed %d records of topic %s, produced %d", got, topic, n)
	}
	return nil
}
