package uplink

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
)

// demoObservations are what the sensor hears in the bundled demo capture.
func demoObservations(t testing.TB) []observe.Observation {
	t.Helper()
	var c observe.Collector
	if _, err := sensor.ReadFiles(context.Background(), []string{filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap")}, decode.DefaultConfig(), &c, nil); err != nil {
		t.Fatal(err)
	}
	return c.Obs
}

// TestEncodeRoundTrip: a batch of real observations, with values that
// JSON must escape, decodes to what was encoded.
func TestEncodeRoundTrip(t *testing.T) {
	all := demoObservations(t)
	odd := obs(3)
	odd.Fields = append(odd.Fields, observe.Field{Key: "http.server", Value: "<b>\"q\"\\ & \u2028 \x01 \xff"})
	all = append(all, odd)
	b := &Batch{BatchID: "id-<1>", Sensor: "s\"1", Site: "icu & ed", Observations: all}
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(data), true, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got.BatchID != b.BatchID || got.Sensor != b.Sensor || got.Site != b.Site {
		t.Errorf("header %q %q %q", got.BatchID, got.Sensor, got.Site)
	}
	if len(got.Observations) != len(all) {
		t.Fatalf("%d observations back, %d sent", len(got.Observations), len(all))
	}
	for i := range all {
		w, _ := all[i].MarshalJSON()
		g, _ := got.Observations[i].MarshalJSON()
		if diff := cmp.Diff(string(w), string(g)); diff != "" {
			t.Fatalf("observation %d (-sent +received):\n%s", i, diff)
		}
	}
	empty := &Batch{BatchID: "e"}
	data, err = empty.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Decode(bytes.NewReader(data), true, 1<<20); err != nil || got.BatchID != "e" || len(got.Observations) != 0 {
		t.Fatalf("empty batch: %+v, %v", got, err)
	}
}

// BenchmarkBatchEncode: a sensor's upload batch (2000 observations) made
// ready to send, JSON and gzip.
func BenchmarkBatchEncode(b *testing.B) {
	all := demoObservations(b)
	for len(all) < 2000 {
		all = append(all, all...)
	}
	batch := &Batch{BatchID: NewBatchID(), Sensor: "s1", Site: "icu", Observations: all[:2000]}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		data, err := batch.Encode()
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.ReportMetric(float64(n), "gzip-bytes")
}

// BenchmarkEncoderReuse: the same, as the uplink client does it, with
// one Encoder reused from batch to batch.
func BenchmarkEncoderReuse(b *testing.B) {
	all := demoObservations(b)
	for len(all) < 2000 {
		all = append(all, all...)
	}
	batch := &Batch{BatchID: NewBatchID(), Sensor: "s1", Site: "icu", Observations: all[:2000]}
	var e Encoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncoderReuse: a reused Encoder writes each batch as Batch.Encode
// does, whatever it encoded before.
func TestEncoderReuse(t *testing.T) {
	all := demoObservations(t)
	var e Encoder
	for i, n := range []int{len(all), 1, 0, len(all) / 2, len(all)} {
		batch := &Batch{BatchID: NewBatchID(), Sensor: "s1", Site: "icu", Observations: all[:n]}
		want, err := batch.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Encode(batch)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("batch %d (%d observations): reused encoder wrote %d bytes, Batch.Encode %d", i, n, len(got), len(want))
		}
		back, err := Decode(bytes.NewReader(got), true, 1<<30)
		if err != nil || len(back.Observations) != n {
			t.Fatalf("batch %d: decoded %v observations, err %v", i, back, err)
		}
	}
}

// BenchmarkBatchDecode: the server reading a sensor's batch back.
func BenchmarkBatchDecode(b *testing.B) {
	all := demoObservations(b)
	for len(all) < 2000 {
		all = append(all, all...)
	}
	batch := &Batch{BatchID: NewBatchID(), Sensor: "s1", Site: "icu", Observations: all[:2000]}
	data, err := batch.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data), true, 64<<20); err != nil {
			b.Fatal(err)
		}
	}
}
