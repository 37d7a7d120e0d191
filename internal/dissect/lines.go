package dissect

import "bytes"

// Lines splits one direction of a text protocol (FTP, SMTP) into lines
// ending in LF, CR trimmed, keeping a partial line between segments up to
// Max bytes.
type Lines struct {
	Max int
	buf []byte
}

// Feed hands each complete line of data, in order, to fn while fn returns
// true. It reports false when a line grew past Max: the direction is then
// not the protocol, or lost.
func (l *Lines) Feed(data []byte, fn func(line []byte) bool) bool {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(l.buf)+len(data) > l.Max {
				return false
			}
			l.buf = append(l.buf, data...)
			return true
		}
		line := data[:i]
		data = data[i+1:]
		if len(l.buf) > 0 {
			if len(l.buf)+len(line) > l.Max {
				return false
			}
			line = append(l.buf, line...)
			l.buf = l.buf[:0]
		}
		if !fn(bytes.TrimRight(line, "\r")) {
			return true
		}
	}
	return true
}

// Release drops the partial line's buffer.
func (l *Lines) Release() { l.buf = nil }

// LineSide is one direction of a command/reply text protocol: its line
// splitter, how many lines were read, and whether reading it is over.
type LineSide struct {
	Lines
	N    int
	Done bool
}

// FeedLines reads data into side (index 0: client to server) line by line,
// handing each line to handle until the side is done. It reports whether
// both sides are done, having released their buffers.
func FeedLines(sides *[2]LineSide, clientToServer bool, data []byte, max int, handle func(sd *LineSide, line []byte)) bool {
	sd := &sides[1]
	if clientToServer {
		sd = &sides[0]
	}
	if !sd.Done {
		sd.Max = max
		ok := sd.Feed(data, func(line []byte) bool {
			handle(sd, line)
			return !sd.Done
		})
		sd.Done = sd.Done || !ok
	}
	if sides[0].Done && sides[1].Done {
		sides[0].Release()
		sides[1].Release()
		return true
	}
	return false
}

// CutLine splits off the first line of p, ending in LF, its CR trimmed.
// ended is false when p holds no LF: line is then all of p.
func CutLine(p []byte) (line, rest []byte, ended bool) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return bytes.TrimRight(p, "\r"), nil, false
	}
	return bytes.TrimRight(p[:i], "\r"), p[i+1:], true
}

// Greeting returns the first line of p (at most maxLine bytes looked at)
// when p opens with the three-digit reply code and ' ' or '-', as FTP and
// SMTP servers greet ("220 mail.example.org ESMTP"); ok is false otherwise.
func Greeting(p []byte, code string, maxLine int) (line []byte, ok bool) {
	if len(p) < 5 || string(p[:3]) != code || (p[3] != ' ' && p[3] != '-') {
		return nil, false
	}
	line, _, _ = CutLine(p[:min(len(p), maxLine)])
	return line, true
}

// ContainsFold reports whether b contains word, compared as bytes.EqualFold
// does, without the copy an upper-casing would make.
func ContainsFold(b []byte, word string) bool {
	for i := 0; i+len(word) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(word)], []byte(word)) {
			return true
		}
	}
	return false
}
