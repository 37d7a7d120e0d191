package syslog

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// sharedCaptures and tshark's reading of each (testdata/<name>.oracle.tsv,
// made with tshark 4.0 -e syslog.facility -e syslog.level -e
// syslog.hostname -e syslog.appname).
var sharedCaptures = map[string]string{"tcpdump/syslog_udp.pcap": "tcpdump_syslog_udp", "ndpi/syslog.pcap": "ndpi_syslog"}

// TestOracle: every message tshark reads as syslog is one observation with
// its facility and severity, and the hostname wherever tshark found one.
// tshark reads no TAG from BSD messages; Ward does (syslog.app), so only
// RFC 5424 APP-NAMEs are compared.
func TestOracle(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps")
	for rel, name := range sharedCaptures {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, rel)
			want := dissecttest.ReadOracle(t, filepath.Join("testdata", name+".oracle.tsv"))
			got := map[int]observe.Observation{}
			var obs []observe.Observation
			for _, f := range dissecttest.RunChecked(t, path, New()) {
				got[f.Frame] = f.Obs
				obs = append(obs, f.Obs)
			}
			testutil.Golden(t, name, obs)
			if len(got) != len(want) {
				t.Errorf("%d messages, tshark %d", len(got), len(want))
			}
			for frame, row := range want {
				o, ok := got[frame]
				if !ok {
					t.Errorf("frame %d: no observation", frame)
					continue
				}
				f := dissecttest.FieldMap(o)
				if f["syslog.facility"] != dissecttest.First(row["syslog.facility"]) || f["syslog.severity"] != dissecttest.First(row["syslog.level"]) {
					t.Errorf("frame %d: facility/severity %s/%s, tshark %v/%v", frame, f["syslog.facility"], f["syslog.severity"], row["syslog.facility"], row["syslog.level"])
				}
				if h := dissecttest.First(row["syslog.hostname"]); h != "" && f["syslog.hostname"] != h {
					t.Errorf("frame %d: hostname %q, tshark %q", frame, f["syslog.hostname"], h)
				}
				if a := dissecttest.First(row["syslog.appname"]); a != "" && f["syslog.app"] != a {
					t.Errorf("frame %d: app %q, tshark %q", frame, f["syslog.app"], a)
				}
			}
		})
	}
}

func TestDissectUDP(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want map[string]string
	}{
		{
			name: "RFC 5424 from an infusion pump server; the message names a patient",
			msg:  "<134>1 2026-03-02T08:00:00.123Z pumpsrv01 AlarisSystemsManager 4312 AUDIT - Order for CANARY^PATIENT MRN 123456 started",
			want: map[string]string{"syslog.format": "rfc5424", "syslog.facility": "16", "syslog.severity": "6", "syslog.hostname": "pumpsrv01", "syslog.app": "AlarisSystemsManager"},
		},
		{
			name: "RFC 5424 with nil values",
			msg:  "<13>1 - - - - - - canary text",
			want: map[string]string{"syslog.format": "rfc5424", "syslog.facility": "1", "syslog.severity": "5"},
		},
		{
			name: "BSD with hostname and tag",
			msg:  "<30>Mar  2 08:00:00 pacs-gw01 dcmqrscp[811]: association from CANARY",
			want: map[string]string{"syslog.format": "rfc3164", "syslog.facility": "3", "syslog.severity": "6", "syslog.hostname": "pacs-gw01", "syslog.app": "dcmqrscp"},
		},
		{
			name: "BSD without hostname: the tag follows the timestamp",
			msg:  "<13>Mar  2 08:00:00 sshd[22]: canary text",
			want: map[string]string{"syslog.format": "rfc3164", "syslog.facility": "1", "syslog.severity": "5", "syslog.app": "sshd"},
		},
		{
			name: "no timestamp at all",
			msg:  "<190>monitor: canary text",
			want: map[string]string{"syslog.format": "rfc3164", "syslog.facility": "23", "syslog.severity": "6", "syslog.app": "monitor"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			if err := New().DissectUDP(dissecttest.UDPMeta(), []byte(tc.msg), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Obs) != 1 {
				t.Fatalf("%d observations", len(c.Obs))
			}
			if diff := cmp.Diff(tc.want, dissecttest.FieldMap(c.Obs[0])); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			dissecttest.NoCanary(t, c.Obs, "canary", "123456")
		})
	}
	for _, bad := range []string{"", "<>", "<999>x", "hello", "<12"} {
		var c observe.Collector
		if err := New().DissectUDP(dissecttest.UDPMeta(), []byte(bad), &c); err == nil || len(c.Obs) != 0 {
			t.Errorf("%q: err %v, %d observations", bad, err, len(c.Obs))
		}
	}
}

func TestMatchUDP(t *testing.T) {
	d := New()
	if !d.MatchUDP(40000, 514, []byte("<13>x")) || !d.MatchUDP(514, 11000, []byte("<13>x")) || d.MatchUDP(40000, 514, []byte("13 x")) || d.MatchUDP(40000, 515, []byte("<13>x")) {
		t.Error("MatchUDP: want a PRI to or from port 514")
	}
}
