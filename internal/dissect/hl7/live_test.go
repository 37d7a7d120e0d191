package hl7

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
)

// receiver is a minimal MLLP server on 127.0.0.1 that acknowledges every
// message (MSA|AA|<MSH-10>), like an interface engine.
func receiver(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadBytes(startBlock); err != nil {
						return
					}
					msg, err := r.ReadBytes(endBlock)
					if err != nil {
						return
					}
					_, _ = r.ReadByte() // CR after the end block
					ctl := field(msg, standard, 10)
					ack := fmt.Sprintf("\x0bMSH|^~\\&|WARDRCV|HOSP|||20240101||ACK|A%s|P|2.6\rMSA|AA|%s\r\x1c\r", ctl, ctl)
					if _, err := c.Write([]byte(ack)); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	return ln
}

// send delivers messages with python3-hl7's mllp_send when installed (a
// real, independent MLLP peer), else with a plain Go client.
func send(t *testing.T, addr *net.TCPAddr, msgs []string) string {
	t.Helper()
	if path, err := exec.LookPath("mllp_send"); err == nil {
		for i, m := range msgs {
			f := filepath.Join(t.TempDir(), fmt.Sprintf("m%d.hl7", i))
			if err := os.WriteFile(f, []byte(m), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(path, "--loose", "-q", "-p", fmt.Sprint(addr.Port), "-f", f, "127.0.0.1").CombinedOutput()
			if err != nil {
				t.Fatalf("mllp_send: %v %s", err, out)
			}
		}
		return "mllp_send"
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, m := range msgs {
		if _, err := c.Write(mllp(m)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadBytes(endBlock); err != nil {
			t.Fatal(err)
		}
	}
	return "go client"
}

// TestLiveMLLP sends PCD-01 and ADT messages with canary PHI over loopback,
// captures them with Ward's live capture and checks the fields.
func TestLiveMLLP(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("live capture needs root in CI")
		}
		t.Skip("live capture needs root")
	}
	ln := receiver(t)
	addr := ln.Addr().(*net.TCPAddr)
	port := uint16(addr.Port)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ready := make(chan error, 1)
	done := make(chan []observe.Observation, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var c observe.Collector
		defer func() { done <- c.Obs }()
		live, err := capture.OpenLive(capture.LiveConfig{Interface: "lo", PollTimeout: 50 * time.Millisecond, BlockSize: 1 << 20, NumBlocks: 8})
		if err != nil {
			ready <- err
			return
		}
		defer live.Close()
		cfg := decode.DefaultConfig()
		cfg.SynSignatures, cfg.Services = false, false
		dec, err := decode.New(cfg, decode.Split(New()), observe.EmitterFunc(func(o *observe.Observation) {
			if o.Protocol == "hl7" && (o.SrcPort == port || o.DstPort == port) {
				c.Emit(o)
			}
		}))
		if err != nil {
			ready <- err
			return
		}
		ready <- nil
		defer dec.Flush()
		for ctx.Err() == nil {
			p, err := live.ReadPacket()
			if errors.Is(err, capture.ErrTimeout) {
				continue
			}
			if err != nil {
				return
			}
			dec.Packet(p.Data, p.Info, p.LinkType)
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("live capture on lo: %v", err)
	}
	adt := strings.Join([]string{
		`MSH|^~\&|ADTAPP|HOSP|MONITOR|ICU|20240101||ADT^A01^ADT_A01|ADT1|P|2.5.1`,
		`PID|1||CANARYMRN9^^^HOSP^MR||CANARY^LIVE^PATIENT||19230405|F`,
		`PV1|1|I|ICU^^CANARYBED`, ""}, "\r")
	sender := send(t, addr, []string{pcd01("\r", '|', '^', '~', '\\', '&'), adt})
	time.Sleep(300 * time.Millisecond)
	cancel()
	obs := <-done

	want := []string{
		"hl7.message_type=ORU^R01", "hl7.message_type=ADT^A01", "hl7.message_type=ACK", "hl7.ack_code=AA",
		"hl7.sending_application=MONITOR^0009FB0000000001^EUI-64", "hl7.sending_application=ADTAPP",
		"hl7.equipment_id=0009FB0000000001^Philips^0009FB0000000001^EUI-64", "hl7.device_model=MX450",
		"hl7.device_serial=DE12345678", "hl7.device_software=M.00.03", "hl7.device_manufacturer=Philips",
		"hl7.version=2.6", "hl7.results=1",
	}
	var got bytes.Buffer
	for _, o := range obs {
		for _, f := range o.Fields {
			got.WriteString(f.Key + "=" + f.Value + "\n")
		}
	}
	for _, w := range want {
		if !strings.Contains(got.String(), w+"\n") {
			t.Errorf("missing %s (sender %s); got:\n%s", w, sender, got.String())
		}
	}
	medtest.AssertNoCanary(t, obs, nil, append(canaries, "19230405")...)
	t.Logf("sender %s: %d observations", sender, len(obs))
}
