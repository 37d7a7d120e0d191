package poct

import (
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Tokenizer states of one direction.
const (
	stText     = iota // character data (skipped) or between messages
	stLt              // after '<'
	stPI              // inside <? ... ?>
	stBang            // after "<!"
	stComment         // inside <!-- ... -->
	stCDATA           // inside <![CDATA[ ... ]]> (skipped like text)
	stDecl            // inside <!DOCTYPE ...>
	stName            // a start tag's name
	stAttrs           // inside a start tag, between attributes
	stAttrName        // an attribute's name
	stAttrEq          // after an attribute's name, before '='
	stAttrQ           // after '=', before the quote
	stAttrVal         // inside a quoted attribute value
	stEmpty           // after '/' in a start tag
	stEndName         // an end tag's name
	stEndTail         // after an end tag's name, before '>'
)

// What the start tag being read is.
const (
	curNone  = iota // outside any message: ignored
	curRoot         // a message root
	curChild        // an element inside a message
)

// side is the parser of one direction.
type side struct {
	st    uint8
	quote byte  // the quote that ends the attribute value being read
	run   uint8 // trailing '-' or ']' (comment and CDATA ends), '?' (PI end)
	cur   uint8 // curNone, curRoot, curChild
	nlen  uint8 // bytes of name used (a longer name sets nover)
	nover bool
	name  [maxName]byte
	alen  uint8 // attribute name length so far
	attrV bool  // the attribute being read is V
	elem  int8  // allowlisted element whose start tag is being read, or -1

	inMsg    bool
	hello    bool // the message in progress is a Hello: values are read
	root     [7]byte
	depth    int32
	msgBytes int // bytes since the message (or the search for one) began

	capturing bool
	has       uint16 // fields read in this Hello
	span      [numFields][2]int32
	vbuf      []byte // raw V values of this Hello (only allowlisted ones)

	reported bool
	last     uint64 // hash of the last Hello reported
}

type stream struct {
	d        *Dissector
	dir      [2]side
	messages int // messages ended (or abandoned), both directions
	after    int // messages ended after a Hello was reported
	hello    bool
	bytes    int
	released bool
}

var _ dissect.Ender = (*stream)(nil)

// NewStream starts one connection.
func (d *Dissector) NewStream() dissect.Stream {
	s := &stream{d: d}
	s.dir[0].elem, s.dir[1].elem = -1, -1
	return s
}

// Data runs the bytes through the direction's tokenizer.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.released {
		return true
	}
	sd := &s.dir[0]
	if !clientToServer {
		sd = &s.dir[1]
	}
	maxMsg := s.d.cfg.MaxMessage
	for i := 0; i < len(data); i++ {
		c := data[i]
		sd.msgBytes++
		if sd.msgBytes > maxMsg {
			// Too long a message (or too long without one): skip it and
			// look for the next root.
			s.abort(sd)
			sd.st, sd.msgBytes = stText, 0
			if s.finished() {
				s.release()
				return true
			}
		}
		switch sd.st {
		case stText:
			if c == '<' {
				sd.st = stLt
			}
		case stLt:
			switch {
			case c == '?':
				if sd.inMsg { // a new document before the root ended
					s.abort(sd)
				}
				sd.st, sd.run = stPI, 0
			case c == '!':
				sd.st = stBang
			case c == '/':
				sd.st, sd.nlen, sd.nover = stEndName, 0, false
			case isNameStart(c):
				sd.st, sd.nlen, sd.nover = stName, 0, false
				sd.addName(c)
			case c == '<':
			default:
				sd.st = stText
			}
		case stPI:
			if c == '>' && sd.run == 1 {
				sd.st = stText
			}
			sd.run = 0
			if c == '?' {
				sd.run = 1
			}
		case stBang:
			switch c {
			case '-':
				sd.st, sd.run = stComment, 0
			case '[':
				sd.st, sd.run = stCDATA, 0
			default:
				sd.st = stDecl
			}
		case stComment, stCDATA:
			t := byte('-')
			if sd.st == stCDATA {
				t = ']'
			}
			switch {
			case c == t:
				if sd.run < 2 {
					sd.run++
				}
			case c == '>' && sd.run == 2:
				sd.st = stText
			default:
				sd.run = 0
			}
		case stDecl:
			if c == '>' {
				sd.st = stText
			}
		case stName:
			if isNameChar(c) {
				sd.addName(c)
				continue
			}
			s.startTag(sd)
			switch {
			case c == '>':
				sd.st = stText
				if s.opened(m, sd, false, e) {
					return true
				}
			case c == '/':
				sd.st = stEmpty
			case c == '<':
				sd.st = stLt // a broken tag: drop it
			default:
				sd.st = stAttrs
			}
		case stAttrs, stAttrEq, stAttrQ:
			if isSpace(c) {
				continue
			}
			switch {
			case c == '=' && sd.st == stAttrEq:
				sd.st = stAttrQ
			case (c == '"' || c == '\'') && sd.st == stAttrQ:
				sd.st, sd.quote = stAttrVal, c
				s.beginValue(sd)
			case c == '>':
				sd.st = stText
				if s.opened(m, sd, false, e) {
					return true
				}
			case c == '/':
				sd.st = stEmpty
			case c == '<':
				sd.st = stLt
			case isNameStart(c):
				sd.st, sd.alen, sd.attrV = stAttrName, 1, c == 'V'
			default:
				sd.st = stAttrs
			}
		case stAttrName:
			switch {
			case isNameChar(c):
				sd.alen = min(sd.alen+1, 2)
				sd.attrV = false
			case c == '=':
				sd.st = stAttrQ
			case isSpace(c):
				sd.st = stAttrEq
			case c == '>':
				sd.st = stText
				if s.opened(m, sd, false, e) {
					return true
				}
			case c == '/':
				sd.st = stEmpty
			default:
				sd.st = stAttrs
			}
		case stAttrVal:
			switch {
			case c == sd.quote:
				s.endValue(sd)
				sd.st = stAttrs
			case c == '<': // not allowed in a value: broken, resynchronise
				sd.capturing = false
				sd.st = stLt
			case sd.capturing:
				if int(int32(len(sd.vbuf))-sd.span[sd.elem][0]) < maxRaw {
					sd.vbuf = append(sd.vbuf, c)
				}
			}
		case stEmpty:
			switch c {
			case '>':
				sd.st = stText
				if s.opened(m, sd, true, e) {
					return true
				}
			case '<':
				sd.st = stLt
			default:
				sd.st = stAttrs
			}
		case stEndName, stEndTail:
			switch {
			case c == '>':
				sd.st = stText
				if s.endTag(m, sd, e) {
					return true
				}
			case sd.st == stEndName && isNameChar(c):
				sd.addName(c)
			case c == '<':
				sd.st = stLt
			default:
				sd.st = stEndTail
			}
		}
	}
	s.bytes += len(data)
	if s.finished() {
		s.release()
		return true
	}
	return false
}

func (sd *side) addName(c byte) {
	if int(sd.nlen) < maxName {
		sd.name[sd.nlen] = c
		sd.nlen++
		return
	}
	sd.nover = true
}

// startTag classifies the start tag whose name was just read.
func (s *stream) startTag(sd *side) {
	sd.elem, sd.attrV, sd.capturing = -1, false, false
	name := sd.name[:sd.nlen]
	switch {
	case !sd.nover && isRoot(name):
		if sd.inMsg { // a new root inside a message: the last one broke off
			s.abort(sd)
		}
		sd.cur, sd.inMsg, sd.depth, sd.msgBytes = curRoot, true, 0, 0
		copy(sd.root[:], name)
		sd.hello = isHello(name)
		if sd.hello && sd.vbuf == nil {
			sd.vbuf = s.d.bufs.Get()
		}
	case !sd.inMsg:
		sd.cur = curNone
	default:
		sd.cur = curChild
		if sd.hello && !sd.nover {
			if f, ok := elements[string(name)]; ok && sd.has&(1<<f) == 0 {
				sd.elem = f
			}
		}
	}
}

// opened completes a start tag (empty: it was <x/>). It reports whether
// inspection stops.
func (s *stream) opened(m *dissect.Meta, sd *side, empty bool, e observe.Emitter) bool {
	sd.elem = -1
	switch sd.cur {
	case curRoot:
		if empty {
			return s.endMsg(m, sd, e)
		}
		sd.depth = 1
	case curChild:
		if !empty {
			sd.depth++
		}
	}
	return false
}

// endTag reads the end tag whose name was just read: the root's (or the
// depth falling to zero) ends the message.
func (s *stream) endTag(m *dissect.Meta, sd *side, e observe.Emitter) bool {
	if !sd.inMsg {
		return false
	}
	sd.depth--
	if sd.depth <= 0 || (!sd.nover && sd.nlen == 7 && [7]byte(sd.name[:7]) == sd.root) {
		return s.endMsg(m, sd, e)
	}
	return false
}

func (s *stream) beginValue(sd *side) {
	sd.capturing = sd.elem >= 0 && sd.attrV && sd.inMsg && sd.hello
	if sd.capturing {
		sd.span[sd.elem][0] = int32(len(sd.vbuf))
	}
}

func (s *stream) endValue(sd *side) {
	if !sd.capturing {
		return
	}
	sd.capturing = false
	sd.span[sd.elem][1] = int32(len(sd.vbuf))
	sd.has |= 1 << sd.elem
	sd.elem = -1 // a second V is not read
}

// endMsg closes the message in progress, reporting it when it is a Hello.
func (s *stream) endMsg(m *dissect.Meta, sd *side, e observe.Emitter) bool {
	if sd.hello {
		s.report(m, sd, e)
	}
	s.abort(sd)
	return s.finished()
}

// abort forgets the message in progress (counted all the same).
func (s *stream) abort(sd *side) {
	if sd.inMsg {
		s.messages++
		if s.hello {
			s.after++
		}
	}
	sd.inMsg, sd.hello, sd.depth, sd.has, sd.capturing, sd.elem = false, false, 0, 0, false, -1
	sd.cur, sd.msgBytes = curNone, 0
	sd.vbuf = sd.vbuf[:0]
}

// finished reports whether inspection can stop: a Hello was reported and
// a few more messages went by, or enough messages or bytes went by.
func (s *stream) finished() bool {
	c := &s.d.cfg
	return (s.hello && s.after > c.AfterHello) || s.messages >= c.MaxMessages || s.bytes >= c.MaxBytes
}

// Gap forgets the direction's message in progress; the next message root
// resynchronises.
func (s *stream) Gap(clientToServer bool) {
	sd := &s.dir[0]
	if !clientToServer {
		sd = &s.dir[1]
	}
	s.abort(sd)
	sd.st = stText
}

// End hands the buffers back; every Hello was reported when it ended.
func (s *stream) End(_ *dissect.Meta, _ observe.Emitter) { s.release() }

func (s *stream) release() {
	if s.released {
		return
	}
	s.released = true
	for i := range s.dir {
		s.d.bufs.Put(s.dir[i].vbuf)
		s.dir[i].vbuf = nil
	}
}
