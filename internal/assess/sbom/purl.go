package sbom

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// PURL is a parsed package URL (pkg:type/namespace/name@version?qualifiers#subpath).
type PURL struct {
	Type, Namespace, Name, Version string
}

// ParsePURL reads a package URL per the purl specification: the scheme is
// "pkg", the type is required and lower-cased, namespace segments and the
// name are percent-decoded, qualifiers and subpath are dropped.
func ParsePURL(s string) (PURL, error) {
	var p PURL
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, errors.New(`scheme is not "pkg:"`)
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return p, errors.New("type or name missing")
	}
	for _, r := range typ {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '+' || r == '-') {
			return p, fmt.Errorf("type %q has invalid character %q", typ, r)
		}
	}
	p.Type = strings.ToLower(typ)
	if i := strings.LastIndexByte(path, '@'); i >= 0 {
		v, err := url.PathUnescape(path[i+1:])
		if err != nil {
			return p, fmt.Errorf("version: %w", err)
		}
		p.Version, path = v, path[:i]
	}
	path = strings.Trim(path, "/")
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		v, err := url.PathUnescape(seg)
		if err != nil {
			return p, fmt.Errorf("path segment %q: %w", seg, err)
		}
		segs[i] = v
	}
	p.Name = segs[len(segs)-1]
	if p.Name == "" {
		return p, errors.New("name missing")
	}
	p.Namespace = strings.Join(segs[:len(segs)-1], "/")
	return p, nil
}
