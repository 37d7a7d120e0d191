package dhcpv6

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// framed is an observation with the 1-based number of the frame it came from.
type framed struct {
	Frame int
	Obs   observe.Observation
}

// runPcap decodes path with only ds and returns what they emitted.
func runPcap(t testing.TB, path string, ds ...dissect.Dissector) []framed {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []framed
	frame := 0
	cfg := decode.DefaultConfig()
	cfg.Services, cfg.SynSignatures = false, false
	names := map[string]bool{}
	for _, d := range ds {
		names[d.Name()] = true
	}
	dec, err := decode.New(cfg, decode.Split(ds...), observe.EmitterFunc(func(o *observe.Observation) {
		if names[o.Protocol] { // the decoder's own flow/service observations are not ours
			out = append(out, framed{frame, o.Clone()})
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for {
		pkt, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		frame++
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
	}
	return out
}

// oracleRows reads Wireshark's field dump for a shared capture: frame
// number -> column -> values (split on §).
func oracleRows(t testing.TB, data, rel string) map[int]map[string][]string {
	t.Helper()
	name := strings.ReplaceAll(rel, "/", "_")
	if i := strings.IndexByte(rel, '/'); i >= 0 {
		name = rel[:i] + "__" + strings.ReplaceAll(rel[i+1:], "/", "_")
	}
	f, err := os.Open(filepath.Join(data, "oracle", name+".tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var header []string
	rows := map[int]map[string][]string{}
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		row := map[string][]string{}
		for i, c := range cols {
			if i < len(header) && c != "" {
				// tshark 4.0 wrote the § aggregator as its first byte only.
				row[header[i]] = strings.Split(strings.ReplaceAll(c, "§", "\xc2"), "\xc2")
			}
		}
		n, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Fatalf("oracle %s: frame %q", name, cols[0])
		}
		rows[n] = row
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// inventory lists the shared captures whose protocols column mentions any of protos.
func inventory(t testing.TB, data string, protos ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "INVENTORY.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 5 {
			continue
		}
		for _, p := range strings.Split(cols[4], ",") {
			for _, want := range protos {
				if p == want {
					out = append(out, cols[0])
					goto next
				}
			}
		}
	next:
	}
	return out
}

// udpPayloads returns copies of the UDP payloads in a capture (fuzz seeds).
func udpPayloads(t testing.TB, path string) [][]byte {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out [][]byte
	for {
		pkt, err := src.ReadPacket()
		if err != nil {
			break
		}
		first := layers.LayerTypeEthernet
		switch pkt.LinkType {
		case layers.LinkTypeRaw, layers.LinkTypeIPv4:
			first = layers.LayerTypeIPv4
		case layers.LinkTypeLinuxSLL:
			first = layers.LayerTypeLinuxSLL
		}
		p := gopacket.NewPacket(pkt.Data, first, gopacket.Default)
		if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && len(u.Payload) > 0 {
			out = append(out, append([]byte(nil), u.Payload...))
		}
	}
	return out
}
