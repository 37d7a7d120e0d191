package telnet

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var meta = dissecttest.TCPMeta(50000, 23)

// TestGolden: GNU inetutils telnetd (testdata/capture-telnet.sh) shows the
// system line and "vm login:"; the client then types a canary user name
// and password, which must not be read.
func TestGolden(t *testing.T) {
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", "login.pcap"), New()) {
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, "login", obs)
	want := []map[string]string{{"telnet.banner": "Linux 6.18.44-fc-v657 (localhost) (pts/0)", "telnet.prompt": "vm login:"}}
	if diff := cmp.Diff(want, dissecttest.FieldMaps(obs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(obs) == 1 && obs[0].SrcPort != 23 {
		t.Errorf("reported from port %d, not the server's", obs[0].SrcPort)
	}
	dissecttest.NoCanary(t, obs, "canary")
}

func TestStream(t *testing.T) {
	tests := []struct {
		name  string
		turns []string // server, client, server, ...
		end   bool
		want  []map[string]string
	}{
		{
			name:  "Cisco IOS: negotiation, subnegotiation, banner, prompt",
			turns: []string{"\xff\xfb\x01\xff\xfb\x03\xff\xfd\x18\xff\xfa\x18\x01\xff\xf0\r\n\r\nUser Access Verification\r\n\r\nUsername: ", "\xff\xfd\x01", "", "nurse\r\n"},
			want:  []map[string]string{{"telnet.banner": "User Access Verification", "telnet.prompt": "Username:"}},
		},
		{
			name:  "negotiation split across segments",
			turns: []string{"\xff", "", "\xfb\x01BusyBox v1.19.4 (2015-03-02) built-in shell\r\nmon", "", "itor-7 login: "},
			end:   true,
			want:  []map[string]string{{"telnet.banner": "BusyBox v1.19.4 (2015-03-02) built-in shell", "telnet.prompt": "monitor-7 login:"}},
		},
		{
			name:  "a server that says nothing",
			turns: []string{"\xff\xfd\x18", "\xff\xfc\x18", "", "x"},
			want:  nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New().NewStream()
			var c observe.Collector
			for i, turn := range tc.turns {
				if s.Data(meta(i%2 == 1), i%2 == 1, []byte(turn), &c) {
					break
				}
			}
			if tc.end {
				s.(dissect.Ender).End(meta(true), &c)
			}
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(c.Obs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, o := range c.Obs {
				if o.SrcPort != 23 {
					t.Errorf("reported from port %d", o.SrcPort)
				}
			}
		})
	}
	// A long banner is reported once it is long enough, without waiting.
	s := New().NewStream()
	var c observe.Collector
	if !s.Data(meta(false), false, []byte(strings.Repeat("Welcome to the imaging archive\r\n", 10)), &c) || len(c.Obs) != 1 {
		t.Errorf("a 10-line banner: %d observations", len(c.Obs))
	}
}

func TestMatchTCP(t *testing.T) {
	d := New()
	if !d.MatchTCP(23, 50000, false, []byte("\xff\xfd\x18")) || !d.MatchTCP(23, 50000, false, []byte("login: ")) || d.MatchTCP(2323, 50000, false, []byte("login: ")) || d.MatchTCP(23, 50000, false, []byte{0x16, 3, 1}) {
		t.Error("MatchTCP: port 23, negotiation or text")
	}
}
