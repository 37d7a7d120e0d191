package observe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"
)

// collector keeps what the sink goroutine was given, as JSON lines.
type collector struct {
	mu    sync.Mutex
	lines []string
	idles int
}

func (c *collector) Emit(o *Observation) {
	c.mu.Lock()
	c.lines = append(c.lines, string(o.AppendJSON(nil)))
	c.mu.Unlock()
}

func (c *collector) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// reused emits n observations from one struct and one field slice that are
// overwritten after every Emit, as dissectors do.
func reused(e Emitter, n int) []string {
	mac := net.HardwareAddr{0, 0x1b, 0x2c, 0, 0, 0}
	o := Observation{SrcMAC: mac, SrcIP: netip.MustParseAddr("10.0.0.1"), Transport: "udp", Protocol: "dhcp"}
	var want []string
	for i := range n {
		mac[5] = byte(i)
		o.Time = time.Date(2026, 3, 2, 8, 0, 0, i, time.UTC)
		o.SrcPort = uint16(i)
		o.Fields = o.Fields[:0]
		o.Add("dhcp.hostname", "pump-"+strconv.Itoa(i))
		if i%3 == 0 {
			o.Add("dhcp.vendor_class", fmt.Sprintf("vc%d", i))
		}
		want = append(want, string(o.AppendJSON(nil)))
		e.Emit(&o)
	}
	return want
}

func TestAsyncKeepsOrderAndCopies(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  AsyncConfig
		n    int
	}{
		{"defaults, one partial batch", AsyncConfig{}, 10},
		{"many batches", AsyncConfig{Batch: 7, Batches: 2}, 1000},
		{"exact batches", AsyncConfig{Batch: 10, Batches: 3}, 100},
		{"nothing", AsyncConfig{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c collector
			a := NewAsync(&c, func() error { c.idles++; return nil }, tc.cfg)
			want := reused(a, tc.n)
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			got := c.snapshot()
			if len(got) != len(want) {
				t.Fatalf("got %d observations, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("observation %d:\n got %s\nwant %s", i, got[i], want[i])
				}
			}
			if c.idles == 0 {
				t.Error("idle never ran: a writer would not have been flushed")
			}
		})
	}
}

// A live sensor on a quiet link must not sit on a partial batch.
func TestAsyncLingerDeliversPartialBatch(t *testing.T) {
	var c collector
	flushed := make(chan struct{}, 16)
	a := NewAsync(&c, func() error {
		select {
		case flushed <- struct{}{}:
		default:
		}
		return nil
	}, AsyncConfig{Batch: 100, Linger: 10 * time.Millisecond})
	defer a.Close()
	reused(a, 3)
	deadline := time.After(5 * time.Second)
	for len(c.snapshot()) < 3 {
		select {
		case <-flushed:
		case <-deadline:
			t.Fatalf("after 5 s the sink had %d of 3 observations", len(c.snapshot()))
		}
	}
	// Later observations still arrive, in order, after the hand-off.
	reused(a, 2)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(c.snapshot()); n != 5 {
		t.Fatalf("got %d observations, want 5", n)
	}
}

func TestAsyncReturnsIdleError(t *testing.T) {
	var c collector
	boom := errors.New("disk full")
	calls := 0
	a := NewAsync(&c, func() error {
		calls++
		if calls == 1 {
			return boom
		}
		return nil
	}, AsyncConfig{Batch: 4})
	reused(a, 10)
	if err := a.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close = %v, want %v", err, boom)
	}
	if n := len(c.snapshot()); n != 10 {
		t.Fatalf("the sink got %d observations after the error, want all 10", n)
	}
}

func BenchmarkAsyncEmit(b *testing.B) {
	a := NewAsync(EmitterFunc(func(*Observation) {}), nil, AsyncConfig{})
	o := Observation{
		Time: time.Unix(1, 0), SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{6, 7, 8, 9, 10, 11},
		SrcIP: netip.MustParseAddr("10.0.0.1"), Transport: "udp", Protocol: "dns",
		Fields: []Field{{"dns.query", "example.org"}, {"dns.qtype", "A"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Emit(&o)
	}
	b.StopTimer()
	if err := a.Close(); err != nil {
		b.Fatal(err)
	}
}
