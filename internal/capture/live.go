package capture

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// Live captures from a network interface through an AF_PACKET TPACKET_V3
// memory-mapped ring (no cgo, no libpcap).
//
// Passive by construction: the ring handle is an unexported field and Live
// exposes only reading, statistics and Close. Nothing in Ward calls the
// handle's transmit method (TestNoSendPath enforces it), and the socket is
// only ever bound for receiving. Tests check the interface's kernel TX
// counter stays at zero while Ward captures.
type Live struct {
	iface string
	h     *afpacket.TPacket
	count int
}

// LiveConfig configures live capture.
type LiveConfig struct {
	Interface   string
	Promiscuous bool          // SPAN ports deliver to our MAC anyway; TAPs need it
	Filter      string        // classic BPF program in `tcpdump -ddd` form; empty for none
	PollTimeout time.Duration // how long a read waits before checking for cancel
	BlockSize   int           // ring block size, bytes (power of two multiple of page size)
	NumBlocks   int
	// FanoutGroup, when not 0, joins the socket to that AF_PACKET fanout
	// group: the kernel spreads the interface's frames over the group's
	// sockets by a hash of the flow that is the same both ways (and after
	// reassembling IP fragments), so each socket sees whole conversations.
	FanoutGroup uint16
}

// OpenLive opens the interface for receive-only capture.
func OpenLive(cfg LiveConfig) (*Live, error) {
	if cfg.Interface == "" {
		return nil, errors.New("no interface given")
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 200 * time.Millisecond
	}
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = 1 << 20
	}
	if cfg.NumBlocks <= 0 {
		cfg.NumBlocks = 64
	}
	h, err := afpacket.NewTPacket(
		afpacket.OptInterface(cfg.Interface),
		afpacket.TPacketVersion3, // block-based ring, fewer wakeups
		afpacket.OptBlockSize(cfg.BlockSize),
		afpacket.OptNumBlocks(cfg.NumBlocks),
		afpacket.OptFrameSize(afpacket.DefaultFrameSize),
		afpacket.OptPollTimeout(cfg.PollTimeout),
		afpacket.OptBlockTimeout(cfg.PollTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("open %s for capture: %w", cfg.Interface, err)
	}
	if cfg.Filter != "" {
		prog, err := ParseBPF(cfg.Filter)
		if err != nil {
			h.Close()
			return nil, err
		}
		if err := h.SetBPF(prog); err != nil {
			h.Close()
			return nil, fmt.Errorf("attach filter on %s: %w", cfg.Interface, err)
		}
	}
	if cfg.FanoutGroup != 0 {
		if err := h.SetFanout(afpacket.FanoutHash|afpacket.FanoutHashWithDefrag, cfg.FanoutGroup); err != nil {
			h.Close()
			return nil, fmt.Errorf("join fanout group %d on %s: %w", cfg.FanoutGroup, cfg.Interface, err)
		}
	}
	if cfg.Promiscuous {
		if err := h.SetPromiscuous(true); err != nil {
			h.Close()
			return nil, fmt.Errorf("promiscuous mode on %s: %w", cfg.Interface, err)
		}
	}
	return &Live{iface: cfg.Interface, h: h}, nil
}

// ErrTimeout is returned by ReadPacket when nothing arrived within the poll
// timeout; callers check their context and read again.
var ErrTimeout = afpacket.ErrTimeout

// ReadPacket returns the next frame from the ring.
func (l *Live) ReadPacket() (Packet, error) {
	data, ci, err := l.h.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, afpacket.ErrTimeout) || errors.Is(err, afpacket.ErrPoll) {
			return Packet{}, ErrTimeout
		}
		return Packet{}, fmt.Errorf("read %s: %w", l.iface, err)
	}
	l.count++
	return Packet{Data: data, Info: ci, LinkType: layers.LinkTypeEthernet}, nil
}

// Dropped reports the kernel's drop counter for the ring.
func (l *Live) Dropped() (uint, error) {
	_, s3, err := l.h.SocketStats()
	if err != nil {
		return 0, err
	}
	return s3.Drops(), nil
}

// Close releases the ring.
func (l *Live) Close() error {
	l.h.Close()
	return nil
}

// ParseBPF reads a classic BPF program in the form `tcpdump -ddd EXPR`
// prints: a count line, then one "code jt jf k" line per instruction.
// Ward does not link libpcap, so expressions are compiled by tcpdump.
func ParseBPF(s string) ([]bpf.RawInstruction, error) {
	sc := bufio.NewScanner(strings.NewReader(s))
	var lines []string
	for sc.Scan() {
		if t := strings.TrimSpace(strings.ReplaceAll(sc.Text(), ",", " ")); t != "" {
			lines = append(lines, t)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("bpf filter: empty")
	}
	n, err := strconv.Atoi(lines[0])
	if err != nil || n != len(lines)-1 || n == 0 {
		return nil, fmt.Errorf("bpf filter: want `tcpdump -ddd` output (a count, then that many \"code jt jf k\" lines); first line %q", lines[0])
	}
	prog := make([]bpf.RawInstruction, 0, n)
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 {
			return nil, fmt.Errorf("bpf filter: instruction %d: want 4 numbers, got %q", i+1, l)
		}
		var v [4]uint64
		for j, x := range f {
			v[j], err = strconv.ParseUint(x, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("bpf filter: instruction %d: %v", i+1, err)
			}
		}
		if v[1] > 255 || v[2] > 255 || v[0] > 0xffff {
			return nil, fmt.Errorf("bpf filter: instruction %d out of range: %q", i+1, l)
		}
		prog = append(prog, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	return prog, nil // the kernel verifies the program when it is attached
}
