package decode

import (
	"github.com/gopacket/gopacket/layers"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
)

// emitSyn writes the SYN (or SYN+ACK) in p0f's signature layout,
// ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass, so p0f's own
// database can be matched against it by the fingerprint stage.
func (d *Decoder) emitSyn(m *dissect.Meta, tcp *layers.TCP, payload []byte) {
	b := d.synBuf[:0]
	var ttl uint8
	var quirks []byte
	q := d.portBuf[:0] // reuse as quirk scratch; emitService rewrites it before use
	addQ := func(s string) {
		if len(q) > 0 {
			q = append(q, ',')
		}
		q = append(q, s...)
	}
	olen := 0
	if m.SrcIP.Is4() && !m.SrcIP.Is4In6() {
		b = append(b, '4', ':')
		ip := &d.ip4
		ttl = ip.TTL
		olen = int(ip.IHL)*4 - 20
		if olen < 0 {
			olen = 0
		}
		df := ip.Flags&layers.IPv4DontFragment != 0
		if df {
			addQ("df")
			if ip.Id != 0 {
				addQ("id+")
			}
		} else if ip.Id == 0 {
			addQ("id-")
		}
		if ip.TOS&0x3 != 0 {
			addQ("ecn")
		}
		if ip.Flags&layers.IPv4EvilBit != 0 {
			addQ("0+")
		}
	} else {
		b = append(b, '6', ':')
		ttl = d.ip6.HopLimit
		if d.ip6.FlowLabel != 0 {
			addQ("flow")
		}
		if d.ip6.TrafficClass&0x3 != 0 {
			addQ("ecn")
		}
	}
	// Initial TTL guessed as the next common value; distance after '+'.
	ittl := uint8(255)
	switch {
	case ttl <= 32:
		ittl = 32
	case ttl <= 64:
		ittl = 64
	case ttl <= 128:
		ittl = 128
	}
	b = strconv.AppendUint(b, uint64(ittl), 10)
	b = append(b, '+')
	b = strconv.AppendUint(b, uint64(ittl-ttl), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(olen), 10)
	b = append(b, ':')
	mss, scale := -1, -1
	layout := d.synLayout[:0]
	var tsVal, tsEcr uint32
	hasTS := false
	for i, o := range tcp.Options {
		if i > 0 {
			layout = append(layout, ',')
		}
		switch o.OptionType {
		case layers.TCPOptionKindEndList:
			// p0f counts the padding bytes after EOL.
			used := 0
			for _, p := range tcp.Options[:i+1] {
				used += max(int(p.OptionLength), 1)
			}
			layout = append(layout, "eol+"...)
			layout = strconv.AppendUint(layout, uint64(max(int(tcp.DataOffset)*4-20-used, 0)), 10)
		case layers.TCPOptionKindNop:
			layout = append(layout, "nop"...)
		case layers.TCPOptionKindMSS:
			layout = append(layout, "mss"...)
			if len(o.OptionData) == 2 {
				mss = int(o.OptionData[0])<<8 | int(o.OptionData[1])
			}
		case layers.TCPOptionKindWindowScale:
			layout = append(layout, "ws"...)
			if len(o.OptionData) == 1 {
				scale = int(o.OptionData[0])
				if scale > 14 {
					addQ("exws")
				}
			}
		case layers.TCPOptionKindSACKPermitted:
			layout = append(layout, "sok"...)
		case layers.TCPOptionKindSACK:
			layout = append(layout, "sack"...)
		case layers.TCPOptionKindTimestamps:
			layout = append(layout, "ts"...)
			if len(o.OptionData) == 8 {
				hasTS = true
				tsVal = uint32(o.OptionData[0])<<24 | uint32(o.OptionData[1])<<16 | uint32(o.OptionData[2])<<8 | uint32(o.OptionData[3])
				tsEcr = uint32(o.OptionData[4])<<24 | uint32(o.OptionData[5])<<16 | uint32(o.OptionData[6])<<8 | uint32(o.OptionData[7])
			}
		default:
			layout = append(layout, '?')
			layout = strconv.AppendUint(layout, uint64(o.OptionType), 10)
		}
	}
	d.synLayout = layout
	if mss >= 0 {
		b = strconv.AppendUint(b, uint64(mss), 10)
	} else {
		b = append(b, '*')
	}
	b = append(b, ':')
	win := int(tcp.Window)
	if mss > 0 && win%mss == 0 && win > 0 {
		b = append(b, "mss*"...)
		b = strconv.AppendUint(b, uint64(win/mss), 10)
	} else {
		b = strconv.AppendUint(b, uint64(win), 10)
	}
	b = append(b, ',')
	if scale >= 0 {
		b = strconv.AppendUint(b, uint64(scale), 10)
	} else {
		b = append(b, '0')
	}
	b = append(b, ':')
	b = append(b, layout...)
	b = append(b, ':')
	if tcp.Seq == 0 {
		addQ("seq-")
	}
	if tcp.ACK {
		if tcp.Ack == 0 {
			addQ("ack-")
		}
	} else if tcp.Ack != 0 {
		addQ("ack+")
	}
	if !tcp.URG && tcp.Urgent != 0 {
		addQ("uptr+")
	}
	if tcp.URG {
		addQ("urgf+")
	}
	if tcp.PSH {
		addQ("pushf+")
	}
	if hasTS {
		if tsVal == 0 {
			addQ("ts1-")
		}
		if tsEcr != 0 && !tcp.ACK {
			addQ("ts2+")
		}
	}
	quirks = q
	b = append(b, quirks...)
	b = append(b, ':')
	if len(payload) > 0 {
		b = append(b, '+')
	} else {
		b = append(b, '0')
	}
	d.synBuf = b
	d.portBuf = q[:0]
	m.Fill(&d.obs, "tcp")
	d.obs.Add("tcp.syn_signature", d.strs.String(b))
	if tcp.ACK {
		d.obs.Add("tcp.flags", "syn+ack")
	} else {
		d.obs.Add("tcp.flags", "syn")
	}
	d.ownE.Emit(&d.obs)
}
