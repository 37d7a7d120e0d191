package sensor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/simulate"
)

const replayEnv = "WARD_TEST_REPLAY"

// TestMain lets the test binary double as the replayer that runs inside the
// peer network namespace (the sender is test code, never Ward's).
func TestMain(m *testing.M) {
	if spec := os.Getenv(replayEnv); spec != "" {
		iface, file, _ := strings.Cut(spec, ",")
		if err := replay(iface, file); err != nil {
			fmt.Fprintln(os.Stderr, "replay:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func replay(iface, file string) error {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	addr := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}
	src, err := capture.OpenFile(file)
	if err != nil {
		return err
	}
	defer src.Close()
	for {
		p, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := unix.Sendto(fd, p.Data, 0, addr); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

func counter(t *testing.T, iface, name string) uint64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/class/net", iface, "statistics", name))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v
}

// summary reduces observations to comparable lines (live timestamps differ).
func summary(obs []observe.Observation) []string {
	var out []string
	for _, o := range obs {
		if o.Protocol == "flow" || o.Protocol == "service" {
			continue // depend on timing/idle expiry; the identity protocols are what matter
		}
		var kv []string
		for _, f := range o.Fields {
			kv = append(kv, f.Key+"="+f.Value)
		}
		sort.Strings(kv)
		out = append(out, o.Protocol+" "+o.SrcMAC.String()+" "+strings.Join(kv, " "))
	}
	sort.Strings(out)
	return out
}

// TestLiveCaptureNetns replays a real capture into one end of a veth pair
// from another network namespace and captures on the other end: Ward must
// see the same observations as from the file, and its interface must not
// transmit a single packet.
func TestLiveCaptureNetns(t *testing.T) {
	liveMatchesFile(t, "testdata/dhcp-rfc4388.pcap", 1)
}

// TestLiveWorkersNetns: with two workers in a fanout group, the
// conversations of a simulated hospital (HL7, TLS, HTTP, SSH over TCP)
// reach one decoder each, whole, and the observations are those of the
// file.
func TestLiveWorkersNetns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sim.pcap")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := simulate.Generate(context.Background(), simulate.Config{Devices: 12, Hours: 0.1, Seed: 3}, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	res := liveMatchesFile(t, file, 2)
	if res.Stats.Protocols["tls"] == nil {
		t.Error("no TLS decoded: the capture did not exercise TCP conversations")
	}
	if len(res.PerWorker) != 2 || res.PerWorker[0] == 0 || res.PerWorker[1] == 0 {
		t.Errorf("packets per worker %v: the kernel did not spread the conversations", res.PerWorker)
	}
}

func liveMatchesFile(t *testing.T, file string, workers int) *sensor.Result {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW, netns)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("iproute2 (ip) is required under CI")
		}
		t.Skip("iproute2 not installed")
	}
	id := os.Getpid()%10000*10 + workers
	ns := fmt.Sprintf("wardpeer%d", id)
	a, b := fmt.Sprintf("wsen%d", id), fmt.Sprintf("wpeer%d", id)
	sh(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sh(t, "ip", "link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	sh(t, "ip", "link", "set", b, "netns", ns)
	// No IPv6 autoconfiguration or addresses: the kernel itself must stay quiet too.
	_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+a+"/disable_ipv6", []byte("1"), 0o644)
	sh(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	sh(t, "ip", "link", "set", a, "up")
	sh(t, "ip", "netns", "exec", ns, "ip", "link", "set", b, "up")
	time.Sleep(300 * time.Millisecond)

	var want observe.Collector
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := sensor.ReadFiles(context.Background(), []string{file}, decode.DefaultConfig(), &want, log); err != nil {
		t.Fatal(err)
	}

	txBefore := counter(t, a, "tx_packets")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got observe.Collector
	type outcome struct {
		res *sensor.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := sensor.LiveWorkers(ctx, capture.LiveConfig{Interface: a, PollTimeout: 50 * time.Millisecond}, decode.DefaultConfig(), workers, 0, &got, log)
		done <- outcome{res, err}
	}()
	time.Sleep(500 * time.Millisecond) // rings are set up

	abs, _ := filepath.Abs(file)
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replayEnv+"="+b+","+abs)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("replayer: %v\n%s", err, out)
	}
	time.Sleep(700 * time.Millisecond)
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatalf("live capture: %v", r.err)
	}
	if tx := counter(t, a, "tx_packets") - txBefore; tx != 0 {
		t.Errorf("sensor interface transmitted %d packets, want 0", tx)
	}
	if rx := counter(t, a, "rx_packets"); rx == 0 {
		t.Error("sensor interface received nothing: the test did not exercise capture")
	}
	if r.res.Packets == 0 || r.res.Dropped != 0 {
		t.Errorf("decoded %d packets, %d dropped by the kernel", r.res.Packets, r.res.Dropped)
	}
	w, g := summary(want.Obs), summary(got.Obs)
	if len(w) == 0 {
		t.Fatal("file gave no observations")
	}
	if strings.Join(w, "\n") != strings.Join(g, "\n") {
		t.Errorf("live observations differ from the file's:\nfile (%d):\n%s\nlive (%d):\n%s", len(w), strings.Join(w, "\n"), len(g), strings.Join(g, "\n"))
	}
	return r.res
}
