// Command benchtool builds the benchmark capture and measures a bare read
// of it, the floor every tool in bench/sensor.sh is compared with.
//
//	benchtool mix -out FILE -packets N PCAP...   repeat the inputs, shifting time and addresses
//	benchtool read FILE                          read every packet, decode nothing
//	benchtool decode FILE                        read and decode L2-L4 with the flow table, no dissector
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool mix|read|decode|dissect ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "mix":
		err = mix(os.Args[2:])
	case "read":
		err = read(os.Args[2:])
	case "decode":
		err = decodeOnly(os.Args[2:], false)
	case "dissect":
		err = decodeOnly(os.Args[2:], true)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

type frame struct {
	data []byte
	gap  time.Duration
}

// mix loads Ethernet frames from the inputs and writes them round after
// round until N packets. Each round rewrites the last octet pair of every
// IPv4 address so rounds are new devices and flows, not replays of one.
func mix(args []string) error {
	fs := flag.NewFlagSet("mix", flag.ExitOnError)
	out := fs.String("out", "", "output pcap")
	n := fs.Int("packets", 2_000_000, "packets to write")
	_ = fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return errors.New("mix: -out and input files are required")
	}
	var frames []frame
	for _, p := range fs.Args() {
		src, err := capture.OpenFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "skip:", err)
			continue
		}
		var last time.Time
		for {
			pkt, err := src.ReadPacket()
			if err != nil {
				break
			}
			if pkt.LinkType != layers.LinkTypeEthernet || len(pkt.Data) > 1514 {
				break
			}
			gap := time.Millisecond
			if !last.IsZero() {
				gap = min(max(pkt.Info.Timestamp.Sub(last), 0), 10*time.Millisecond)
			}
			last = pkt.Info.Timestamp
			frames = append(frames, frame{append([]byte(nil), pkt.Data...), gap})
		}
		src.Close()
	}
	if len(frames) == 0 {
		return errors.New("mix: no Ethernet frames in the inputs")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, 2048)
	for i := 0; i < *n; i++ {
		fr := frames[i%len(frames)]
		round := uint16(i / len(frames))
		buf = append(buf[:0], fr.data...)
		shiftIPv4(buf, round)
		ts = ts.Add(fr.gap/10 + time.Microsecond)
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf), Length: len(buf)}
		if err := w.WritePacket(ci, buf); err != nil {
			return err
		}
	}
	return nil
}

// shiftIPv4 xors the round into the low 16 bits of both addresses of an
// untagged IPv4 frame. Checksums go stale; decoders here don't verify them.
func shiftIPv4(b []byte, round uint16) {
	if round == 0 || len(b) < 34 || binary.BigEndian.Uint16(b[12:14]) != 0x0800 {
		return
	}
	for _, off := range []int{28, 32} {
		v := binary.BigEndian.Uint16(b[off:off+2]) ^ round
		binary.BigEndian.PutUint16(b[off:off+2], v)
	}
}

func read(args []string) error {
	if len(args) != 1 {
		return errors.New("read FILE")
	}
	start := time.Now()
	src, err := capture.OpenFile(args[0])
	if err != nil {
		return err
	}
	defer src.Close()
	var pkts, bytes int
	for {
		p, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pkts++
		bytes += len(p.Data)
	}
	fmt.Printf("%d packets %d bytes %.3f s\n", pkts, bytes, time.Since(start).Seconds())
	return nil
}

// decodeOnly is Ward's own floor: the file read as ward observe reads it
// (without read-ahead) and every packet decoded through L2-L4, IPv4
// reassembly and the TCP flow table, with no dissector and no output.
// With dissect, the dissectors run and observations are counted, not
// encoded: what ward observe takes beyond that is JSON and its writing.
func decodeOnly(args []string, dissect bool) error {
	if len(args) != 1 {
		return errors.New("decode|dissect FILE")
	}
	start := time.Now()
	st, obs, err := decodeFile(args[0], dissect)
	if err != nil {
		return err
	}
	fmt.Printf("%d packets %d flows %d observations %.3f s\n", st.Packets, st.FlowsCreated, obs, time.Since(start).Seconds())
	return nil
}

func decodeFile(path string, dissect bool) (*decode.Stats, int, error) {
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, 0, err
	}
	defer src.Close()
	var obs int
	count := observe.EmitterFunc(func(*observe.Observation) { obs++ })
	var d *decode.Decoder
	if dissect {
		d, err = sensor.NewDecoder(decode.DefaultConfig(), count)
	} else {
		cfg := decode.DefaultConfig()
		cfg.SynSignatures, cfg.Services, cfg.Flows = false, false, false
		d, err = decode.New(cfg, decode.Split(), count)
	}
	if err != nil {
		return nil, 0, err
	}
	for {
		p, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		d.Packet(p.Data, p.Info, p.LinkType)
	}
	d.Flush()
	return d.Stats(), obs, nil
}
