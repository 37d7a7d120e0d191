package smtp

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var meta = dissecttest.TCPMeta(50000, 25)

const capture = "scan_to_email"

// TestGolden: curl sending as a printer would, to Python's smtpd
// (testdata/capture-smtp.sh); addresses and message are canaries. The
// greeting and the EHLO name agree with tshark's reading.
func TestGolden(t *testing.T) {
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", capture+".pcap"), New()) {
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, capture, obs)
	var helo string
	for _, row := range dissecttest.ReadOracle(t, filepath.Join("testdata", capture+".oracle.tsv")) {
		if dissecttest.First(row["smtp.req.command"]) == "EHLO" {
			helo = dissecttest.First(row["smtp.req.parameter"])
		}
	}
	want := []map[string]string{{"smtp.banner": "localhost Python SMTP proxy version 0.3"}, {"smtp.helo": helo}}
	if diff := cmp.Diff(want, dissecttest.FieldMaps(obs)); diff != "" || helo == "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	dissecttest.NoCanary(t, obs, "canary")
}

func TestStream(t *testing.T) {
	tests := []struct {
		name  string
		turns []string // server, client, server, ...
		want  []map[string]string
	}{
		{
			name:  "AUTH before STARTTLS is flagged, its secret never read",
			turns: []string{"220-mail.hospital.example ESMTP Postfix (Debian/GNU)\r\n220 ready\r\n", "EHLO MX-4071\r\n", "250 ok\r\n", "AUTH PLAIN AGNhbmFyeQBzZWNyZXQ=\r\n"},
			want: []map[string]string{
				{"smtp.banner": "mail.hospital.example ESMTP Postfix (Debian/GNU)"},
				{"smtp.helo": "MX-4071"},
				{"smtp.cleartext_auth": "PLAIN"},
			},
		},
		{
			name:  "after STARTTLS nothing more is read",
			turns: []string{"220 exch01 Microsoft ESMTP MAIL Service ready\r\n", "EHLO pump-srv\r\n", "250 ok\r\n", "STARTTLS\r\n", "220 2.0.0 SMTP server ready\r\n", "\x16\x03\x01AUTH LOGIN\r\n"},
			want: []map[string]string{
				{"smtp.banner": "exch01 Microsoft ESMTP MAIL Service ready"},
				{"smtp.helo": "pump-srv"},
			},
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
				t.Errorf("(-want +got):\n%s", diff)
			}
			dissecttest.NoCanary(t, c.Obs, "AGNhbmFyeQ", "canary")
		})
	}
}

func TestMatchTCP(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		p      string
		sp, dp uint16
		want   bool
	}{
		{"220 mail ESMTP Postfix\r\n", 2525, 50000, true},
		{"220 relay ready\r\n", 25, 50000, true},
		{"220 (vsFTPd 3.0.3)\r\n", 21, 50000, false},
		{"250 ok\r\n", 25, 50000, false},
	} {
		if got := d.MatchTCP(tc.sp, tc.dp, false, []byte(tc.p)); got != tc.want {
			t.Errorf("MatchTCP(%q, %d) = %v", tc.p, tc.sp, got)
		}
	}
}
