package dissect

import (
	"bytes"
	"strings"
)

// XMLIndex finds the start of the first element whose local name is name
// (with or without a namespace prefix), or -1.
func XMLIndex(p []byte, name string) int {
	for off := 0; off < len(p); {
		i := bytes.IndexByte(p[off:], '<')
		if i < 0 {
			return -1
		}
		start := off + i
		j := start + 1
		if j < len(p) && (p[j] == '/' || p[j] == '?' || p[j] == '!') {
			off = j
			continue
		}
		k := j
		for k < len(p) && p[k] != '>' && p[k] != ' ' && p[k] != '/' && p[k] != '\t' && p[k] != '\r' && p[k] != '\n' {
			k++
		}
		tag := p[j:k]
		if c := bytes.IndexByte(tag, ':'); c >= 0 {
			tag = tag[c+1:]
		}
		if string(tag) == name {
			return start
		}
		off = k
	}
	return -1
}

// XMLText returns the text content of the first element whose local name
// is name, its five predefined entities resolved, or nil when there is none,
// or it has child elements or no end. It is a bounded search for values a
// dissector keeps, not a parser: callers decide first that the document is
// the one they expect.
func XMLText(p []byte, name string) []byte {
	i := XMLIndex(p, name)
	if i < 0 {
		return nil
	}
	gt := bytes.IndexByte(p[i:], '>')
	if gt < 0 || p[i+gt-1] == '/' {
		return nil // missing, or <x/>
	}
	content := p[i+gt+1:]
	lt := bytes.IndexByte(content, '<')
	if lt < 0 || lt+1 >= len(content) || content[lt+1] != '/' {
		return nil // no end, or nested elements
	}
	return unescape(bytes.TrimSpace(content[:lt]))
}

var entities = []struct{ from, to string }{
	{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", `"`}, {"&apos;", "'"}, {"&amp;", "&"},
}

// unescape resolves XML's five predefined entities (rare in these values).
func unescape(v []byte) []byte {
	if bytes.IndexByte(v, '&') < 0 {
		return v
	}
	s := string(v)
	for _, e := range entities {
		s = strings.ReplaceAll(s, e.from, e.to)
	}
	return []byte(s)
}
