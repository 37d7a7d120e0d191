package smb

import (
	"strconv"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestSharedCaptures runs the dissector over every shared capture: no
// panic, and the bytes it inspected against those skipped once done.
func TestSharedCaptures(t *testing.T) {
	dissecttest.SharedCaptures(t, testutil.SharedData(t, "pcaps"), func() dissect.Dissector { return New() })
}

// dialectName maps tshark's "0x0311" to Ward's "3.1.1".
func dialectName(v string) string {
	n, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
	if err != nil {
		return v
	}
	return string(appendDialect(nil, uint16(n)))
}

func TestOracle(t *testing.T) {
	dissecttest.CompareOracle(t, testutil.SharedData(t, "pcaps"), func() dissect.Dissector { return New() }, func(_ string, _ int, row map[string][]string) map[string][]string {
		w := map[string][]string{}
		sp, dp := dissecttest.First(row["tcp.srcport"]), dissecttest.First(row["tcp.dstport"])
		fromServer := sp == "445" || sp == "139"
		if !fromServer && dp != "445" && dp != "139" {
			return w // NTLMSSP over HTTP, DCE/RPC and others are not SMB
		}
		copyCol := func(col, key string) {
			for _, v := range row[col] {
				if v != "" && v != "NULL" {
					w[key] = append(w[key], v)
				}
			}
		}
		copyCol("smb.native_os", "smb.native_os")
		copyCol("smb.native_lanman", "smb.native_lanman")
		copyCol("smb.primary_domain", "smb.primary_domain")
		copyCol("ntlmssp.auth.hostname", "smb.ntlm_hostname")
		copyCol("ntlmssp.auth.domain", "smb.ntlm_domain")
		copyCol("ntlmssp.challenge.target_name", "smb.ntlm_target_name")
		copyCol("ntlmssp.challenge.target_info.dns_computer_name", "smb.server_dns_name")
		copyCol("ntlmssp.challenge.target_info.nb_computer_name", "smb.server_nb_name")
		if d := row["smb2.dialect"]; len(d) > 0 {
			names := make([]string, len(d))
			for i, v := range d {
				names[i] = dialectName(v)
			}
			if fromServer {
				w["smb.dialect"] = names
			} else {
				w["smb.dialects_offered"] = []string{strings.Join(names, ",")}
			}
		}
		maj, mnr, bld := row["ntlmssp.version.major"], row["ntlmssp.version.minor"], row["ntlmssp.version.build_number"]
		for i := 0; i < len(maj) && i < len(mnr) && i < len(bld); i++ {
			w["smb.ntlm_version"] = append(w["smb.ntlm_version"], maj[i]+"."+mnr[i]+"."+bld[i])
		}
		return w
	}, nil)
}
