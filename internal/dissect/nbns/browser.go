package nbns

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// DatagramPort is the NetBIOS datagram service port.
const DatagramPort = 138

var (
	errDgm     = fmt.Errorf("netbios datagram header: %w", dissect.ErrTruncated)
	errNotSMB  = fmt.Errorf("netbios datagram: no smb trans: %w", dissect.ErrMalformed)
	errBrowser = fmt.Errorf("browser data: %w", dissect.ErrTruncated)
)

var (
	smbMagic     = []byte{0xff, 'S', 'M', 'B'}
	browseSlot   = []byte(`\MAILSLOT\BROWSE`)
	serverTypeNm = [...]struct {
		bit  uint32
		name string
	}{
		{0x1, "workstation"}, {0x2, "server"}, {0x4, "sql_server"}, {0x8, "domain_controller"},
		{0x10, "backup_domain_controller"}, {0x20, "time_source"}, {0x40, "apple"}, {0x80, "novell"},
		{0x100, "domain_member"}, {0x200, "print_server"}, {0x400, "dialin"}, {0x800, "unix"},
		{0x1000, "nt_workstation"}, {0x2000, "wfw"}, {0x8000, "nt_server"}, {0x10000, "potential_browser"},
		{0x20000, "backup_browser"}, {0x40000, "master_browser"}, {0x80000, "domain_master_browser"},
		{0x400000, "windows_9x"},
	}
)

// Browser reads Windows browser announcements (\MAILSLOT\BROWSE) from
// NetBIOS datagrams: host announcements name the sender, its OS version
// and roles; domain announcements name a workgroup and its master browser.
type Browser struct {
	obs   observe.Observation
	buf   []byte
	clean texts // clean() of recurring names and comments
	str   texts // string() of recurring formatted values
}

// NewBrowser returns a browser-protocol dissector.
func NewBrowser() *Browser {
	return &Browser{buf: make([]byte, 0, 128), str: texts{raw: true}}
}

var (
	_ dissect.UDPDissector   = (*Browser)(nil)
	_ dissect.FrameDissector = (*Browser)(nil)
)

// Name is "browser".
func (*Browser) Name() string { return "browser" }

// MatchUDP accepts direct and broadcast datagrams on port 138.
func (*Browser) MatchUDP(sp, dp uint16, p []byte) bool {
	return (sp == DatagramPort || dp == DatagramPort) && len(p) >= 14 && p[0] >= 0x10 && p[0] <= 0x12
}

// DissectUDP emits one observation per announcement or election request.
func (b *Browser) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if len(p) < 14 {
		return errDgm
	}
	// Source and destination names follow the 14-byte header.
	var src, dst name
	off, err := decodeName(p, 14, &src)
	if err != nil {
		return err
	}
	if off, err = decodeName(p, off, &dst); err != nil {
		return err
	}
	return b.browse(m, &dst, p[off:], e)
}

// LLC SAP of NetBIOS Frames (NetBEUI), and the NBF datagram header size.
const (
	sapNetBIOS   = 0xf0
	nbfHeaderLen = 44
)

// MatchFrame accepts NetBEUI (LLC SAP 0xF0) frames: old Windows and DOS
// hosts announce themselves over NetBIOS Frames without IP.
func (*Browser) MatchFrame(etherType uint16, _ net.HardwareAddr, p []byte) bool {
	return etherType < 0x0600 && len(p) >= 3 && p[0] == sapNetBIOS && p[1] == sapNetBIOS
}

// DissectFrame reads an NBF DATAGRAM or DATAGRAM_BROADCAST carrying SMB.
func (b *Browser) DissectFrame(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if len(p) < 3 || p[2] != 0x03 { // LLC UI frame
		return errNotSMB
	}
	h := p[3:]
	if len(h) < nbfHeaderLen || binary.LittleEndian.Uint16(h) != nbfHeaderLen || h[2] != 0xff || h[3] != 0xef {
		return errDgm
	}
	if h[4] != 0x08 && h[4] != 0x09 {
		return errNotSMB
	}
	var dst name
	copy(dst.b[:], h[12:28])
	dst.ok = true
	return b.browse(m, &dst, h[nbfHeaderLen:], e)
}

// browse reads the SMB mailslot write and its browser message.
func (b *Browser) browse(m *dissect.Meta, dst *name, smb []byte, e observe.Emitter) error {
	data, err := mailslotData(smb)
	if err != nil {
		return err
	}
	if len(data) < 1 {
		return errBrowser
	}
	o := &b.obs
	switch op := data[0]; op {
	case 0x01, 0x0c, 0x0f: // host, domain, local master announcement
		if len(data) < 32 {
			return errBrowser
		}
		m.Fill(o, "browser")
		srvName := b.cstr(data[6:22])
		comment := data[32:]
		if i := bytes.IndexByte(comment, 0); i >= 0 {
			comment = comment[:i]
		}
		switch op {
		case 0x0c:
			// The "server" of a domain announcement is the workgroup and
			// the comment its master browser.
			o.Add("browser.command", "domain_announcement")
			o.Add("browser.domain", srvName)
			o.Add("browser.master_browser", b.clean.get(comment))
		default:
			if op == 0x01 {
				o.Add("browser.command", "host_announcement")
			} else {
				o.Add("browser.command", "local_master_announcement")
			}
			o.Add("browser.server", srvName)
			b.buf = strconv.AppendUint(b.buf[:0], uint64(data[22]), 10)
			b.buf = append(b.buf, '.')
			b.buf = strconv.AppendUint(b.buf, uint64(data[23]), 10)
			o.Add("browser.os_version", b.str.get(b.buf))
			o.Add("browser.comment", b.clean.get(comment))
			// Host announcements go to WORKGROUP<1d>: the sender's workgroup.
			if dst.ok && dst.suffix() == 0x1d {
				o.Add("browser.domain", dst.cachedText(&b.clean))
			}
		}
		o.Add("browser.server_type", b.serverType(binary.LittleEndian.Uint32(data[24:28])))
	case 0x08: // election request: version, criteria, uptime, reserved, name
		if len(data) < 14 {
			return errBrowser
		}
		n := data[14:]
		if i := bytes.IndexByte(n, 0); i >= 0 {
			n = n[:i]
		}
		m.Fill(o, "browser")
		o.Add("browser.command", "election_request")
		o.Add("browser.server", b.cstr(n[:min(len(n), 16)]))
	default:
		return nil
	}
	e.Emit(o)
	return nil
}

// mailslotData returns the transaction data of an SMB Trans request
// addressed to \MAILSLOT\BROWSE.
func mailslotData(smb []byte) ([]byte, error) {
	if len(smb) < 33 || !bytes.Equal(smb[:4], smbMagic) || smb[4] != 0x25 {
		return nil, errNotSMB
	}
	wc := int(smb[32])
	words := smb[33:]
	if wc < 14 || len(words) < 2*wc+2 {
		return nil, errNotSMB
	}
	dataCount := int(binary.LittleEndian.Uint16(words[22:]))
	dataOff := int(binary.LittleEndian.Uint16(words[24:]))
	bcc := words[2*wc+2:]
	if !bytes.HasPrefix(bcc, browseSlot) {
		return nil, errNotSMB
	}
	if dataOff > len(smb) || dataCount > len(smb)-dataOff {
		return nil, errBrowser
	}
	return smb[dataOff : dataOff+dataCount], nil
}

func (b *Browser) serverType(t uint32) string {
	b.buf = b.buf[:0]
	for _, s := range serverTypeNm {
		if t&s.bit == 0 {
			continue
		}
		if len(b.buf) > 0 {
			b.buf = append(b.buf, ',')
		}
		b.buf = append(b.buf, s.name...)
	}
	return b.str.get(b.buf)
}

// cstr returns the NUL-terminated string at the start of v, cleaned.
func (b *Browser) cstr(v []byte) string {
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return b.clean.get(v)
}
