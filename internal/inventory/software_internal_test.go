package inventory

import "testing"

func TestSameSoftware(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"OpenSSH 9.2p1 Debian-2+deb12u2", "OpenSSH 9.2p1 Debian-2+deb12u3", true},
		{"OpenSSH 9.2p1", "openssh 9.6p1", true},
		{"OpenSSH 9.2p1", "OpenSSH 9.2p1", false},
		{"OpenSSH 9.2p1", "Dropbear 2022.83", false},
		{"OpenSSH for Windows 8.1", "OpenSSH 8.1", false},
		{"OpenSSH", "OpenSSH 9.2p1", false}, // no version before
		{"9.2", "9.3", false},               // no name
		{"", "OpenSSH 9.2p1", false},
	} {
		if got := sameSoftware(tt.a, tt.b); got != tt.want {
			t.Errorf("sameSoftware(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
