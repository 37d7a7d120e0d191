package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wardiomt/ward/internal/capture"
)

func htons16(v uint16) uint16 { return v<<8 | v>>8 }

// sendFrames replays frames of file out of iface inside network namespace
// ns. The sender is test code on a thread switched into the peer namespace;
// the thread is never returned to the scheduler's pool.
func sendFrames(ns, iface, file string, limit int) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread exits with the goroutine
		errc <- func() error {
			f, err := os.Open("/var/run/netns/" + ns)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("setns: %w", err)
			}
			ifi, err := net.InterfaceByName(iface)
			if err != nil {
				return err
			}
			fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons16(unix.ETH_P_ALL)))
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			addr := &unix.SockaddrLinklayer{Protocol: htons16(unix.ETH_P_ALL), Ifindex: ifi.Index}
			src, err := capture.OpenFile(file)
			if err != nil {
				return err
			}
			defer src.Close()
			for n := 0; n < limit; n++ {
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
				if n%50 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			return nil
		}()
	}()
	return <-errc
}

// vethPair makes a veth pair for a live test: a stays here for Ward to
// capture on, its peer b sits in network namespace ns for sendFrames. Tests
// that call it skip unless root with iproute2, and outside -short.
func vethPair(t *testing.T, tag string) (ns, a, b string) {
	t.Helper()
	if testing.Short() {
		t.Skip("live capture")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW, netns)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2 not installed")
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	pid := os.Getpid() % 100000
	ns, a, b = fmt.Sprintf("ward%s%d", tag, pid), fmt.Sprintf("w%sS%d", tag, pid), fmt.Sprintf("w%sP%d", tag, pid)
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run("ip", "link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	run("ip", "link", "set", b, "netns", ns)
	_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+a+"/disable_ipv6", []byte("1"), 0o644)
	run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	run("ip", "link", "set", a, "up")
	run("ip", "netns", "exec", ns, "ip", "link", "set", b, "up")
	return ns, a, b
}

func txPackets(t *testing.T, iface string) uint64 {
	t.Helper()
	b, err := os.ReadFile("/sys/class/net/" + iface + "/statistics/tx_packets")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCaptureStreamsLines: `ward capture` prints observations as they are
// heard, not when a buffer fills or the capture ends; an operator watching
// a quiet SPAN port must see the few devices that speak.
// With --workers 2 the same holds, the lines coming from two decoders.
func TestCaptureStreamsLines(t *testing.T) {
	for _, workers := range []string{"1", "2"} {
		t.Run("workers="+workers, func(t *testing.T) { captureStreams(t, workers) })
	}
}

func captureStreams(t *testing.T, workers string) {
	ns, a, b := vethPair(t, "c"+workers)
	before := txPackets(t, a)
	out := startWard(t, "capture", "--interface", a, "--workers", workers)
	time.Sleep(700 * time.Millisecond) // the capture ring is up
	if err := sendFrames(ns, b, filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap"), 200); err != nil {
		t.Fatalf("replay: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		text := out.String()
		lines := strings.Count(text, "\n")
		if lines >= 20 && strings.Contains(text, `"protocol":`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ward capture, still running, printed %d lines in 10 s after 200 frames:\n%.2000s", lines, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := txPackets(t, a) - before; n != 0 {
		t.Errorf("the capture interface transmitted %d packets", n)
	}
}

// TestSensorLiveInterface runs `ward sensor --interface` on one end of a
// veth pair while test code replays the demo capture into the other end
// from another network namespace; the observations must reach `ward serve`
// and the sensor's interface must transmit nothing.
func TestSensorLiveInterface(t *testing.T) {
	if testing.Short() {
		t.Skip("live capture")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW, netns)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2 not installed")
	}
	ns, a, b := vethPair(t, "up")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "ward.db")
	sensorTok := tokenLine.FindStringSubmatch(runWard(t, "token", "create", "--db", dbPath, "--org", "acme", "--role", "sensor", "--site", "ward-1"))[1]
	viewerTok := tokenLine.FindStringSubmatch(runWard(t, "token", "create", "--db", dbPath, "--org", "acme", "--role", "viewer"))[1]
	addr := freeAddr(t)
	startWard(t, "serve", "--db", dbPath, "--addr", addr)
	base := "http://" + addr
	waitHTTP(t, base+"/readyz")

	txBefore := txPackets(t, a)
	startWard(t, "sensor", "--interface", a, "--server", base, "--token", sensorTok, "--name", "span-1",
		"--spool", filepath.Join(dir, "spool"), "--flush", "200ms", "--batch", "500")
	time.Sleep(700 * time.Millisecond) // the capture ring is up
	if err := sendFrames(ns, b, filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap"), 4000); err != nil {
		t.Fatalf("replay: %v", err)
	}
	var sensors struct {
		Items []struct {
			Name         string `json:"name"`
			Site         string `json:"site"`
			Observations int    `json:"observations"`
		} `json:"items"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		getJSON(t, base+"/api/v1/sensors", viewerTok, &sensors)
		if len(sensors.Items) == 1 && sensors.Items[0].Observations > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("observations did not arrive: %+v", sensors)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := sensors.Items[0]; s.Name != "span-1" || s.Site != "ward-1" {
		t.Fatalf("sensor %+v", s)
	}
	var list struct{ Total int }
	if c := getJSON(t, base+"/api/v1/devices?site=ward-1", viewerTok, &list); c != 200 || list.Total < 10 {
		t.Fatalf("devices from the live sensor: %d %+v", c, list)
	}
	if n := txPackets(t, a) - txBefore; n != 0 {
		t.Errorf("the sensor's capture interface transmitted %d packets", n)
	}
}

func TestSensorName(t *testing.T) {
	for in, want := range map[string]string{
		"icu-span.example.org":  "icu-span.example.org",
		"Ward Sensor #1":        "Ward-Sensor--1",
		"_x":                    "x",
		"":                      "sensor",
		strings.Repeat("a", 70): strings.Repeat("a", 64),
	} {
		if got := sensorName(in, nil); got != want {
			t.Errorf("sensorName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sensorName("", errors.New("no host")); got != "sensor" {
		t.Errorf("on error: %q", got)
	}
}
