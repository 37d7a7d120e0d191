package arp_test

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/arp"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/testutil"
)

var _ dissect.FrameDissector = (*arp.Dissector)(nil)

func TestGolden(t *testing.T) {
	var c observe.Collector
	cfg := decode.DefaultConfig()
	if _, err := sensor.ReadFiles(context.Background(), []string{"testdata/eapon1.pcap"}, cfg, &c, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	var arps []observe.Observation
	for _, o := range c.Obs {
		if o.Protocol == "arp" {
			arps = append(arps, o)
		}
	}
	if len(arps) == 0 {
		t.Fatal("no ARP observations from a capture with ARP")
	}
	testutil.Golden(t, "eapon1", arps)
}

func TestDissect(t *testing.T) {
	// A reply: 00:0d:88:4f:25:91 is 192.168.1.1.
	reply, _ := hex.DecodeString("0001080006040002000d884f2591c0a8010100042357a57ac0a801f9")
	tests := []struct {
		name    string
		in      []byte
		wantMAC string
		wantIP  string
		wantErr bool
	}{
		{"reply", reply, "00:0d:88:4f:25:91", "192.168.1.1", false},
		{"truncated", reply[:10], "", "", true},
		{"not ethernet/ipv4", append([]byte{0, 6}, reply[2:]...), "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c observe.Collector
			err := arp.New().DissectFrame(&dissect.Meta{}, tt.in, &c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			mac, _ := c.Obs[0].Get("arp.sender_mac")
			ip, _ := c.Obs[0].Get("arp.sender_ip")
			if mac != tt.wantMAC || ip != tt.wantIP {
				t.Errorf("got %s %s, want %s %s", mac, ip, tt.wantMAC, tt.wantIP)
			}
		})
	}
}

func FuzzDissect(f *testing.F) {
	reply, _ := hex.DecodeString("0001080006040002000d884f2591c0a8010100042357a57ac0a801f9")
	f.Add(reply)
	f.Fuzz(func(t *testing.T, b []byte) {
		d := arp.New()
		_ = d.DissectFrame(&dissect.Meta{}, b, &observe.Collector{})
		_ = d.MatchFrame(0x0806, net.HardwareAddr{}, b)
	})
}
