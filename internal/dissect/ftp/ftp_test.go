package ftp

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// capture is testdata/capture-ftp.sh's: vsftpd on loopback, an anonymous
// session (SYST, LIST) and a refused login whose name is a canary.
const capture = "vsftpd_anonymous_and_refused"

var meta = dissecttest.TCPMeta(50000, 21)

// The dissector is matched on port 21 or a greeting naming FTP; the test
// capture's server is on 2121 with vsftpd's greeting, which names it.
func TestGolden(t *testing.T) {
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", capture+".pcap"), New()) {
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, capture, obs)
	want := []map[string]string{
		{"ftp.banner": "(vsFTPd 3.0.3)"},
		{"ftp.anonymous_login": "seen"},
		{"ftp.system": "UNIX Type: L8"},
		{"ftp.banner": "(vsFTPd 3.0.3)"},
	}
	if diff := cmp.Diff(want, dissecttest.FieldMaps(obs)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	dissecttest.NoCanary(t, obs, "canary")
}

// TestOracle: the greeting and system type are tshark's 220 and 215
// arguments, from the server's port.
func TestOracle(t *testing.T) {
	want := map[string]int{}
	var server uint16
	for _, row := range dissecttest.ReadOracle(t, filepath.Join("testdata", capture+".oracle.tsv")) {
		switch dissecttest.First(row["ftp.response.code"]) {
		case "220":
			want["ftp.banner="+dissecttest.First(row["ftp.response.arg"])]++
		case "215":
			want["ftp.system="+dissecttest.First(row["ftp.response.arg"])]++
		default:
			continue
		}
		p, _ := strconv.Atoi(dissecttest.First(row["tcp.srcport"]))
		server = uint16(p)
	}
	got := map[string]int{}
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", capture+".pcap"), New()) {
		for _, fl := range f.Obs.Fields {
			if fl.Key == "ftp.banner" || fl.Key == "ftp.system" {
				got[fl.Key+"="+fl.Value]++
				if f.Obs.SrcPort != server {
					t.Errorf("%s reported from port %d, not the server's %d", fl.Key, f.Obs.SrcPort, server)
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("empty oracle")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-tshark +ours):\n%s", diff)
	}
}

func TestStream(t *testing.T) {
	tests := []struct {
		name  string
		turns []string // server, client, server, ...
		want  []map[string]string
	}{
		{
			name:  "multi-line greeting: its first line; a real password is only flagged",
			turns: []string{"220-FileZilla Server 0.9.60 beta\r\n220-written by Tim Kosse\r\n220 Please visit https://filezilla-project.org/\r\n", "USER biomed\r\n", "331 Password required for biomed\r\n", "PASS s3cret!\r\n", "230 Logged on\r\n"},
			want:  []map[string]string{{"ftp.banner": "FileZilla Server 0.9.60 beta"}, {"ftp.cleartext_password": "seen"}},
		},
		{
			name:  "printer greeting split across segments",
			turns: []string{"220 RICOH MP C3003 FTP ser", "", "ver (7.12) ready.\r\n"},
			want:  []map[string]string{{"ftp.banner": "RICOH MP C3003 FTP server (7.12) ready."}},
		},
		{
			name:  "a 215 nobody asked for is not taken",
			turns: []string{"220 ready\r\n215 UNIX Type: L8\r\n"},
			want:  []map[string]string{{"ftp.banner": "ready"}},
		},
		{
			name:  "AUTH TLS accepted: nothing more is read",
			turns: []string{"220 Microsoft FTP Service\r\n", "AUTH TLS\r\n", "234 AUTH command ok. Expecting TLS Negotiation.\r\n", "\x16\x03\x01\x02\x00PASS x\r\n"},
			want:  []map[string]string{{"ftp.banner": "Microsoft FTP Service"}},
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
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			for _, o := range c.Obs {
				if v, ok := o.Get("ftp.cleartext_password"); ok && v != "seen" {
					t.Errorf("password value leaked: %q", v)
				}
			}
		})
	}
}

func TestMatchTCP(t *testing.T) {
	for _, tc := range []struct {
		p      string
		sp, dp uint16
		want   bool
	}{
		{"220 (vsFTPd 3.0.3)\r\n", 21, 50000, true},
		{"220-Welcome\r\n", 21, 50000, true},
		{"220 (vsFTPd 3.0.3)\r\n", 2121, 50000, true},
		{"220 Xerox WorkCentre 7845 FTP server ready\r\n", 8021, 50000, true},
		{"220 mail.example.org ESMTP Postfix\r\n", 25, 50000, false},
		{"230 Logged in\r\n", 21, 50000, false},
	} {
		if got := New().MatchTCP(tc.sp, tc.dp, false, []byte(tc.p)); got != tc.want {
			t.Errorf("MatchTCP(%q, %d) = %v", tc.p, tc.sp, got)
		}
	}
}
