package sensor_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
)

// TestDeterministicOutput: the same capture gives the same observations in
// the same order every time (flow summaries included), so re-ingesting a
// capture is recognised batch by batch.
func TestDeterministicOutput(t *testing.T) {
	run := func() string {
		var c observe.Collector
		if _, err := sensor.ReadFiles(context.Background(), []string{"../../testdata/demo/hospital-demo.pcap"}, decode.DefaultConfig(), &c, nil); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(c.Obs)
		return string(b)
	}
	first := run()
	for i := 0; i < 3; i++ {
		if run() != first {
			t.Fatal("observations differ between two runs over the same capture")
		}
	}
}
