package vuln

import (
	"fmt"
	"strings"

	"github.com/wardiomt/ward/internal/version"
)

// distroPkg is a distribution package named in a component, the way
// Debian-family SSH servers name theirs ("OpenSSH 9.2p1 Debian-2+deb12u3",
// "OpenSSH 8.9p1 Ubuntu-3ubuntu0.10"): the package version is the upstream
// version and the revision, which security updates raise.
type distroPkg struct {
	name     string // what precedes the upstream version: "OpenSSH"
	upstream string // "9.2p1"
	distro   string // "debian", "ubuntu", "raspbian"
	revision string // "2+deb12u3"
}

// pkg is the package version as the fixed lists hold it.
func (p distroPkg) pkg() string { return p.upstream + "-" + p.revision }

// distroLabel is the distribution's name as people write it.
func (p distroPkg) distroLabel() string {
	return strings.ToUpper(p.distro[:1]) + p.distro[1:]
}

// parseDistroPkg finds "<name> <upstream> <Distro>-<revision>" at the end
// of a component name. Only the Debian family is read: its banners carry
// the package revision; others (FreeBSD's date stamps) do not order by it.
func parseDistroPkg(text string) (distroPkg, bool) {
	f := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '_' })
	if len(f) < 3 {
		return distroPkg{}, false
	}
	last, up := f[len(f)-1], f[len(f)-2]
	dist, rev, ok := strings.Cut(last, "-")
	if !ok {
		return distroPkg{}, false
	}
	dist = strings.ToLower(dist)
	if dist != "debian" && dist != "ubuntu" && dist != "raspbian" {
		return distroPkg{}, false
	}
	up = strings.TrimPrefix(strings.TrimPrefix(up, "v"), "V")
	p := distroPkg{name: strings.Join(f[:len(f)-2], " "), upstream: up, distro: dist, revision: rev}
	if _, err := version.CompareDebian(p.pkg(), p.pkg()); err != nil {
		return distroPkg{}, false
	}
	return p, true
}

// fixedVerdict judges a distribution package against a pattern's fixed
// packages: known reports whether the package's release line (its
// upstream version) has a listed fix; fixed whether the package is at or
// after it; first is that fix.
func fixedVerdict(p distroPkg, fixed map[string][]string) (known, isFixed bool, first string) {
	for _, f := range fixed[p.distro] {
		up := f[:strings.LastIndexByte(f, '-')] // checked at load: has a '-'
		if c, err := version.CompareDebian(up, p.upstream); err != nil || c != 0 {
			continue
		}
		c, err := version.CompareDebian(p.pkg(), f)
		if err != nil {
			continue
		}
		return true, c >= 0, f
	}
	return false, false, ""
}

// packageReason explains a verdict drawn from a distribution package.
func packageReason(what, text, rule string, p distroPkg, known, isFixed bool, first string) string {
	head := fmt.Sprintf("%s %q is %s package %s", what, text, p.distroLabel(), p.pkg())
	switch {
	case isFixed:
		return fmt.Sprintf("%s, at or after %s, which carries the %s fix under the same upstream version", head, first, rule)
	case known:
		return fmt.Sprintf("%s, before %s, the first %s package with the %s fix", head, first, p.distroLabel(), rule)
	}
	return fmt.Sprintf("%s; no fixed %s package of upstream %s is known, so the device is presumed unpatched", head, p.distroLabel(), p.upstream)
}

// newestPackages keeps, of components naming the same software packaged
// by the same distribution, only the newest package: an upgraded server's
// earlier banner stays among the inventory's candidates, and it must not
// keep a fixed server affected.
func newestPackages(names []string) []string {
	type key struct{ name, distro string }
	pkgs := make([]distroPkg, len(names))
	isPkg := make([]bool, len(names))
	newest := map[key]int{}
	for i, n := range names {
		p, ok := parseDistroPkg(n)
		if !ok {
			continue
		}
		pkgs[i], isPkg[i] = p, true
		k := key{strings.ToLower(p.name), p.distro}
		j, seen := newest[k]
		if !seen {
			newest[k] = i
			continue
		}
		if c, err := version.CompareDebian(p.pkg(), pkgs[j].pkg()); err == nil && c > 0 {
			newest[k] = i
		}
	}
	var out []string
	for i, n := range names {
		if !isPkg[i] || newest[key{strings.ToLower(pkgs[i].name), pkgs[i].distro}] == i {
			out = append(out, n)
		}
	}
	return out
}
