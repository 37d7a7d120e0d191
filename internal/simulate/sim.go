// Package simulate generates a realistic, deterministic hospital network
// capture (pcap) together with the ground truth of every device and every
// change, for end-to-end tests, benchmarks and the bundled demo.
//
// Packets are produced by a discrete-event scheduler: every device has a next
// wake-up time in a heap; a wake-up plays one conversation (a DHCP exchange, a
// DICOM association, an MLLP message...) whose frames go into a small pending
// heap that is flushed in timestamp order as the clock advances. Memory grows
// with the number of devices, never with the length of the capture.
package simulate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/canon"
)

// Config controls one generation run.
type Config struct {
	Devices int           // total devices, switches and core servers included (minimum 12)
	Hours   float64       // simulated duration
	Seed    uint64        // same seed and config give byte-identical output
	Start   time.Time     // capture start; zero means 2026-03-02T08:00:00Z
	Logger  *slog.Logger  // optional progress logging
	Domain  string        // DNS domain of the hospital; default "hospital.example"
	Snaplen uint32        // pcap snaplen; default 65535
	Lease   time.Duration // DHCP lease time; default 1h
}

// DefaultStart is the capture start used when Config.Start is zero.
var DefaultStart = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// CanaryPrefix starts every synthetic patient name, so PHI-leak tests of
// later stages can grep for it (e.g. "CANARY^JANE^..." in HL7 PID-5 and
// "CANARY^..." in DICOM (0010,0010)).
const CanaryPrefix = "CANARY^"

// CanaryIDPrefix starts every synthetic patient identifier (HL7 PID-3, DICOM (0010,0020)).
const CanaryIDPrefix = "CANARYID"

// ErrConfig reports an unusable configuration.
var ErrConfig = errors.New("simulate: invalid config")

const (
	actWake uint8 = iota
	actDHCP
	actLLDP
	actEvent
	actJoin
)

type entry struct {
	t   int64
	seq uint64
	dev int32
	act uint8
	ev  int32
}

func (a entry) before(b entry) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.seq < b.seq
}

type pkt struct {
	t    int64
	seq  uint64
	data []byte
}

func (a pkt) before(b pkt) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.seq < b.seq
}

// minHeap is a binary heap without container/heap's interface boxing,
// which would cost an allocation per packet.
type minHeap[T interface{ before(T) bool }] []T

func (h *minHeap[T]) push(x T) {
	*h = append(*h, x)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a[i].before(a[p]) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *minHeap[T]) pop() T {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	var zero T
	a[n] = zero
	a = a[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && a[l].before(a[m]) {
			m = l
		}
		if r < n && a[r].before(a[m]) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

type sim struct {
	cfg    Config
	cat    *Catalog
	rng    *rand.Rand
	bms    []*device // building-automation controllers, outside the run (facility)
	start  int64
	end    int64
	net    *network
	devs   []*device
	events []plannedEvent
	sched  minHeap[entry]
	out    minHeap[pkt]
	seq    uint64
	w      *pcapgo.Writer
	bw     *bufio.Writer
	count  int64
	bytes  int64
	err    error
	certs  map[string][]byte
	truthE []Event
	// serials holds manufacturer+serial pairs given out: a maker does not
	// ship two devices with one serial number.
	serials map[string]bool
}

// Stats summarises a run.
type Stats struct {
	Packets int64
	Bytes   int64
}

// Generate writes the capture to w (pcap, Ethernet link type) and returns the
// ground truth. It holds per-device state only; packets stream to w.
func Generate(ctx context.Context, cfg Config, w io.Writer) (*Truth, error) {
	t, _, err := GenerateStats(ctx, cfg, w)
	return t, err
}

// GenerateStats is Generate that also reports packet and byte counts.
func GenerateStats(ctx context.Context, cfg Config, w io.Writer) (*Truth, Stats, error) {
	if cfg.Devices < 12 {
		return nil, Stats{}, fmt.Errorf("%w: need at least 12 devices, got %d", ErrConfig, cfg.Devices)
	}
	if cfg.Hours <= 0 {
		return nil, Stats{}, fmt.Errorf("%w: hours must be positive, got %v", ErrConfig, cfg.Hours)
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	if cfg.Domain == "" {
		cfg.Domain = "hospital.example"
	}
	if cfg.Snaplen == 0 {
		cfg.Snaplen = 65535
	}
	if cfg.Lease == 0 {
		cfg.Lease = time.Hour
	}
	cat, err := LoadCatalog()
	if err != nil {
		return nil, Stats{}, err
	}
	s := &sim{
		cfg:   cfg,
		cat:   cat,
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		start: cfg.Start.UnixNano(),
		certs: map[string][]byte{},

		serials: map[string]bool{},
	}
	s.end = s.start + int64(cfg.Hours*float64(time.Hour))
	s.bw = bufio.NewWriterSize(w, 1<<20)
	s.w = pcapgo.NewWriter(s.bw)
	if err := s.w.WriteFileHeader(cfg.Snaplen, layers.LinkTypeEthernet); err != nil {
		return nil, Stats{}, fmt.Errorf("simulate: write pcap header: %w", err)
	}
	s.build()
	s.plan()
	s.facility()
	if err := s.run(ctx); err != nil {
		return nil, Stats{}, err
	}
	s.facilityJoin()
	if err := s.bw.Flush(); err != nil {
		return nil, Stats{}, fmt.Errorf("simulate: flush capture: %w", err)
	}
	return s.truth(), Stats{Packets: s.count, Bytes: s.bytes}, nil
}

func (s *sim) schedule(t int64, dev int32, act uint8, ev int32) {
	s.seq++
	s.sched.push(entry{t: t, seq: s.seq, dev: dev, act: act, ev: ev})
}

// emit queues one frame. Frames at or before the scheduler's clock are
// flushed by run; a conversation never emits before its own start time.
func (s *sim) emit(t int64, frame []byte) {
	if t >= s.end {
		return
	}
	s.seq++
	s.out.push(pkt{t: t, seq: s.seq, data: frame})
}

// emitAside queues a frame without advancing s.seq, which HL7 control IDs
// and TCP sequence numbers are drawn from: the facility traffic leaves the
// rest of the capture as it was. Its frames sort before others of the same
// instant.
func (s *sim) emitAside(t int64, frame []byte) {
	if t < s.end {
		s.out.push(pkt{t: t, data: frame})
	}
}

func (s *sim) flush(upto int64) {
	for s.err == nil && len(s.out) > 0 && s.out[0].t <= upto {
		p := s.out.pop()
		n := len(p.data)
		capLen := min(n, int(s.cfg.Snaplen))
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.t).UTC(), CaptureLength: capLen, Length: n}
		if err := s.w.WritePacket(ci, p.data[:capLen]); err != nil {
			s.err = fmt.Errorf("simulate: write packet: %w", err)
			return
		}
		s.count++
		s.bytes += int64(n)
	}
}

func (s *sim) run(ctx context.Context) error {
	lastLog := s.start
	for len(s.sched) > 0 {
		e := s.sched.pop()
		if e.t >= s.end {
			break
		}
		s.flush(e.t)
		if s.err != nil {
			return s.err
		}
		if s.count&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("simulate: %w", err)
			}
		}
		if s.cfg.Logger != nil && e.t-lastLog > int64(10*time.Minute) {
			lastLog = e.t
			s.cfg.Logger.Info("simulate progress", "sim_time", time.Unix(0, e.t).UTC(), "packets", s.count)
		}
		d := s.devs[e.dev]
		switch e.act {
		case actWake:
			if d.present() {
				s.wake(d, e.t)
			}
			s.schedule(e.t+s.interval(d), e.dev, actWake, -1)
		case actDHCP:
			if d.present() {
				if e.ev == 1 && s.rng.IntN(10) < 6 {
					s.dhcpInitReboot(d, e.t)
				} else {
					s.dhcpRenew(d, e.t)
				}
			}
			s.schedule(e.t+int64(s.cfg.Lease)/2, e.dev, actDHCP, -1)
		case actLLDP:
			s.switchAdverts(d, e.t)
			s.schedule(e.t+int64(30*time.Second), e.dev, actLLDP, -1)
		case actEvent:
			s.apply(d, e.t, e.ev)
		case actJoin:
			d.joined = true
			s.dhcpDORA(d, e.t, true)
			s.gratuitousARP(d, e.t+int64(400*time.Millisecond))
		}
	}
	s.flush(s.end)
	return s.err
}

// interval is the mean time between a device's own conversations, by type:
// bedside devices chatter, imaging modalities send studies a few times an hour.
func (s *sim) interval(d *device) int64 {
	var mean float64
	switch canon.DeviceType(d.kind.Type) {
	case canon.PatientMonitor, canon.InfusionPump, canon.Ventilator:
		mean = 240
	case canon.MonitoringGateway:
		mean = 30
	case canon.CT, canon.MR, canon.Ultrasound, canon.XRay:
		mean = 1500
	case canon.Workstation, canon.ImagingWorkstation:
		mean = 120
	case canon.Server, canon.PACS:
		mean = 60
	case canon.Switch:
		mean = 600
	default:
		mean = 300
	}
	return int64((0.2 + s.rng.ExpFloat64()*0.8) * mean * float64(time.Second))
}

// DemoConfig is the configuration of the bundled demo capture
// (testdata/demo/hospital-demo.pcap); docs/simulate.md gives the equivalent
// command line.
func DemoConfig() Config {
	return Config{Devices: 60, Hours: 2, Seed: 2026}
}
