package ssh

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// captures were made by testdata/capture-ssh.sh from Debian's OpenSSH and
// Dropbear talking over loopback; the .oracle.tsv beside each is tshark's
// reading of it.
var captures = []string{"openssh_to_openssh", "openssh_to_dropbear", "dropbear_to_openssh"}

var meta = dissecttest.TCPMeta(50000, 22)

func TestGolden(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", name+".pcap"), New()) {
				obs = append(obs, f.Obs)
			}
			if len(obs) != 2 {
				t.Fatalf("%d observations, want one per side", len(obs))
			}
			testutil.Golden(t, name, obs)
		})
	}
}

// TestOracle: the identification strings and both HASSH digests agree with
// Wireshark's on every side of every test conversation.
func TestOracle(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			type want struct{ protocol, hassh, hasshServer string }
			wants := map[uint16]*want{}
			for _, row := range dissecttest.ReadOracle(t, filepath.Join("testdata", name+".oracle.tsv")) {
				port, err := strconv.Atoi(dissecttest.First(row["tcp.srcport"]))
				if err != nil {
					t.Fatal(err)
				}
				w := wants[uint16(port)]
				if w == nil {
					w = &want{}
					wants[uint16(port)] = w
				}
				if v := dissecttest.First(row["ssh.protocol"]); v != "" {
					w.protocol = v
				}
				if v := dissecttest.First(row["ssh.kex.hassh"]); v != "" {
					w.hassh = v
				}
				if v := dissecttest.First(row["ssh.kex.hasshserver"]); v != "" {
					w.hasshServer = v
				}
			}
			if len(wants) != 2 {
				t.Fatalf("oracle has %d sides", len(wants))
			}
			got := map[uint16]bool{}
			for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", name+".pcap"), New()) {
				w := wants[f.Obs.SrcPort]
				if w == nil {
					t.Fatalf("observation from port %d, which tshark did not see speak SSH", f.Obs.SrcPort)
				}
				got[f.Obs.SrcPort] = true
				for key, theirs := range map[string]string{"ssh.protocol": w.protocol, "ssh.hassh": w.hassh, "ssh.hassh_server": w.hasshServer} {
					if ours, _ := f.Obs.Get(key); ours != theirs {
						t.Errorf("port %d %s: ours %q, tshark %q", f.Obs.SrcPort, key, ours, theirs)
					}
				}
			}
			if len(got) != 2 {
				t.Errorf("observed %d sides, want 2", len(got))
			}
		})
	}
}

// kexInit builds a KEXINIT binary packet with the given name-lists.
func kexInit(lists ...string) []byte {
	p := []byte{msgKexInit}
	p = append(p, make([]byte, kexCookieSize)...)
	for _, l := range lists {
		p = binary.BigEndian.AppendUint32(p, uint32(len(l)))
		p = append(p, l...)
	}
	p = append(p, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	pad := 8 - (len(p)+5)%8
	if pad < 4 {
		pad += 8
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(1+len(p)+pad))
	out = append(out, byte(pad))
	out = append(out, p...)
	return append(out, make([]byte, pad)...)
}

var algs = []string{"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes256-ctr", "hmac-sha2-256", "hmac-sha1", "none", "zlib", "", ""}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestStream(t *testing.T) {
	clientHassh := md5hex("curve25519-sha256;aes128-ctr;hmac-sha2-256;none")
	serverHassh := md5hex("curve25519-sha256;aes256-ctr;hmac-sha1;zlib")
	tests := []struct {
		name     string
		c2s, s2c []string // segments, in turn: client, server, client, ...
		want     []map[string]string
		done     bool
	}{
		{
			name: "old Dropbear server, OpenSSH client, banner and KEXINIT in one segment",
			c2s:  []string{"SSH-2.0-OpenSSH_5.3\r\n" + string(kexInit(algs...))},
			s2c:  []string{"SSH-2.0-dropbear_2012.55\r\n" + string(kexInit(algs...))},
			want: []map[string]string{
				{"ssh.protocol": "SSH-2.0-OpenSSH_5.3", "ssh.version": "2.0", "ssh.software": "OpenSSH_5.3", "ssh.role": "client", "ssh.hassh": clientHassh},
				{"ssh.protocol": "SSH-2.0-dropbear_2012.55", "ssh.version": "2.0", "ssh.software": "dropbear_2012.55", "ssh.role": "server", "ssh.hassh_server": serverHassh},
			},
			done: true,
		},
		{
			name: "comments, LF only, lines before the identification, KEXINIT split byte by byte",
			c2s:  []string{"SSH-2.0-PuTTY_Release_0.76\n", string(kexInit(algs...)[:3]), string(kexInit(algs...)[3:40]), string(kexInit(algs...)[40:])},
			s2c:  []string{"Welcome to the\r\nimaging gateway\r\nSSH-1.99-Cisco-1.25 IOS 15.2\r\n", string(kexInit(algs...))},
			want: []map[string]string{ // the server's KEXINIT completes first
				{"ssh.protocol": "SSH-1.99-Cisco-1.25 IOS 15.2", "ssh.version": "1.99", "ssh.software": "Cisco-1.25", "ssh.comments": "IOS 15.2", "ssh.role": "server", "ssh.hassh_server": serverHassh},
				{"ssh.protocol": "SSH-2.0-PuTTY_Release_0.76", "ssh.version": "2.0", "ssh.software": "PuTTY_Release_0.76", "ssh.role": "client", "ssh.hassh": clientHassh},
			},
			done: true,
		},
		{
			name: "SSH-1 only: the identification is all there is",
			c2s:  []string{"SSH-1.5-1.2.27\r\n"},
			s2c:  []string{"SSH-1.5-OpenSSH_2.9p2\r\n\x00\x00\x01\x04binary"},
			want: []map[string]string{
				{"ssh.protocol": "SSH-1.5-1.2.27", "ssh.version": "1.5", "ssh.software": "1.2.27", "ssh.role": "client"},
				{"ssh.protocol": "SSH-1.5-OpenSSH_2.9p2", "ssh.version": "1.5", "ssh.software": "OpenSSH_2.9p2", "ssh.role": "server"},
			},
			done: true,
		},
		{
			name: "a packet too large for a KEXINIT keeps the identification",
			c2s:  []string{"SSH-2.0-libssh_0.9.6\r\n\x7f\xff\xff\xff"},
			s2c:  []string{"SSH-2.0-OpenSSH_8.0\r\n\x00\x00\x00\x20\x04\x15rest-is-not-a-kexinit-payload..."},
			want: []map[string]string{
				{"ssh.protocol": "SSH-2.0-libssh_0.9.6", "ssh.version": "2.0", "ssh.software": "libssh_0.9.6", "ssh.role": "client"},
				{"ssh.protocol": "SSH-2.0-OpenSSH_8.0", "ssh.version": "2.0", "ssh.software": "OpenSSH_8.0", "ssh.role": "server"},
			},
			done: true,
		},
		{
			name: "control bytes in the identification: not reported",
			c2s:  []string{"SSH-2.0-evil\x1b[31m\r\n"},
			s2c:  []string{strings.Repeat("x", 300)},
			done: true,
		},
		{
			name: "server silent: not done, nothing yet",
			c2s:  []string{"SSH-2.0-OpenSSH_7.4\r\n"},
			want: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New().NewStream()
			var c observe.Collector
			done := false
			for i := 0; i < max(len(tc.c2s), len(tc.s2c)) && !done; i++ {
				if i < len(tc.c2s) && !done {
					done = s.Data(meta(true), true, []byte(tc.c2s[i]), &c)
				}
				if i < len(tc.s2c) && !done {
					done = s.Data(meta(false), false, []byte(tc.s2c[i]), &c)
				}
			}
			if done != tc.done {
				t.Fatalf("done = %v, want %v", done, tc.done)
			}
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// A conversation cut off after the client's identification still reports
// it when the flow ends, from the client's side.
func TestEndReportsWhatWasSeen(t *testing.T) {
	s := New().NewStream()
	var c observe.Collector
	s.Data(meta(true), true, []byte("SSH-2.0-OpenSSH_7.4\r\n\x00\x00"), &c)
	s.Gap(false)
	if len(c.Obs) != 0 {
		t.Fatalf("reported before the end: %v", dissecttest.FieldMaps(c.Obs))
	}
	s.(dissect.Ender).End(meta(true), &c)
	want := []map[string]string{{"ssh.protocol": "SSH-2.0-OpenSSH_7.4", "ssh.version": "2.0", "ssh.software": "OpenSSH_7.4", "ssh.role": "client"}}
	if diff := cmp.Diff(want, dissecttest.FieldMaps(c.Obs)); diff != "" {
		t.Fatalf("fields (-want +got):\n%s", diff)
	}
	if c.Obs[0].SrcPort != 50000 {
		t.Errorf("reported from port %d, want the client's", c.Obs[0].SrcPort)
	}
}

func TestMatchTCP(t *testing.T) {
	for p, want := range map[string]bool{
		"SSH-2.0-OpenSSH_9.2p1\r\n": true,
		"SSH-1.99-Cisco-1.25\r\n":   true,
		"SSH-1.5-1.2.27\r\n":        true,
		"SSH-3.0-x\r\n":             false,
		"GET / HTTP/1.1\r\n":        false,
		"SSH-":                      false,
	} {
		if got := New().MatchTCP(50000, 22, true, []byte(p)); got != want {
			t.Errorf("MatchTCP(%q) = %v", p, got)
		}
	}
}

// TestOneDissectorLikeFresh: a dissector reused across conversations, with
// its recycled buffers, gives what fresh ones give.
func TestOneDissectorLikeFresh(t *testing.T) {
	finished, n := dissecttest.AssertTCPLikeFresh(t, newTCP, meta, 2, benchCaptures...)
	if finished < 2 {
		t.Errorf("only %d of %d conversations finished: reuse not exercised", finished, n)
	}
}
