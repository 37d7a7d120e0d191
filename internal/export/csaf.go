package export

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	gocsaf "github.com/gocsaf/csaf/v3/csaf"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/vuln"
)

// Publisher defaults of the CSAF document; the hospital running Ward is
// the "user" publishing statements about its own devices.
const (
	DefaultPublisher = "Ward"
	DefaultNamespace = "https://github.com/wardiomt/ward"
)

func ptr[T any](v T) *T { return &v }

// ProductID is the CSAF product id of a device.
func ProductID(deviceID string) string { return "WARD-" + deviceID }

// CSAF builds a CSAF 2.0 document of profile csaf_vex: a product tree of
// the devices with findings (vendor -> product name -> version -> host
// name), and one vulnerability per CVE (or per advisory without CVE) with
// each device in its product_status list, flags and impact statements for
// the not-affected ones, and remediations for the affected ones.
func CSAF(in *Input) (*gocsaf.Advisory, error) {
	devs := deviceIndex(in.Devices)
	vulns := groupStatements(Statements(in), devs)
	date := in.At.UTC().Format(time.RFC3339)
	used := map[string]bool{}
	var out gocsaf.Vulnerabilities
	advs := map[string]bool{}
	for _, g := range vulns {
		out = append(out, csafVulnerability(in, g, date))
		for _, st := range g.sts {
			used[st.DeviceID] = true
			advs[st.Finding.Advisory] = true
		}
	}
	doc := csafDocument(in, date, len(used), len(vulns), advs, vulns)
	adv := &gocsaf.Advisory{Document: doc, ProductTree: productTree(in.Devices, used), Vulnerabilities: out}
	if err := adv.Validate(); err != nil {
		return nil, fmt.Errorf("export: CSAF document: %w", err)
	}
	return adv, nil
}

func writeCSAF(w io.Writer, adv *gocsaf.Advisory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(adv); err != nil {
		return fmt.Errorf("export: encode CSAF: %w", err)
	}
	return nil
}

// vulnGroup is one CSAF vulnerability: an id and one statement per device.
type vulnGroup struct {
	id  string // CVE, or the advisory id
	sts []Statement
}

var stateRank = map[State]int{Exploitable: 4, InTriage: 3, Resolved: 2, NotAffected: 1}

// groupStatements keys statements by vulnerability id and keeps one per
// device: when two advisories disagree about the same CVE on one device,
// the most cautious statement wins (affected over under investigation over
// resolved over not affected).
func groupStatements(sts []Statement, devs map[string]*inventory.Device) []vulnGroup {
	idx := map[string]int{}
	var out []vulnGroup
	for _, st := range sts {
		if devs[st.DeviceID] == nil {
			continue
		}
		ids := st.Finding.CVEs
		if len(ids) == 0 {
			ids = []string{st.Finding.Advisory}
		}
		for _, id := range ids {
			i, ok := idx[id]
			if !ok {
				i = len(out)
				idx[id] = i
				out = append(out, vulnGroup{id: id})
			}
			g := &out[i]
			j := slices.IndexFunc(g.sts, func(x Statement) bool { return x.DeviceID == st.DeviceID })
			switch {
			case j < 0:
				g.sts = append(g.sts, st)
			case stateRank[st.State] > stateRank[g.sts[j].State]:
				g.sts[j] = st
			}
		}
	}
	slices.SortFunc(out, func(a, b vulnGroup) int { return strings.Compare(a.id, b.id) })
	return out
}

func csafDocument(in *Input, date string, ndev, nvuln int, advs map[string]bool, groups []vulnGroup) *gocsaf.Document {
	site := siteName(in.Site)
	summary := fmt.Sprintf("Exploitability of %d vulnerabilities on %d devices of %s, as seen by Ward on the network. "+
		"Not-affected statements rest on evidence, named in each impact statement: the device's version outside the affected range, "+
		"the vulnerable service never seen on the device during the observation, or an applied compensating control.", nvuln, ndev, site)
	var refs gocsaf.References
	ids := make([]string, 0, len(advs))
	for a := range advs {
		ids = append(ids, a)
	}
	slices.Sort(ids)
	for _, a := range ids {
		if r := in.Advisories[a]; r.URL != "" {
			refs = append(refs, &gocsaf.Reference{ReferenceCategory: ptr(string(gocsaf.CSAFReferenceCategoryExternal)), URL: ptr(r.URL), Summary: ptr(a + ": " + orWord(r.Title, a))})
		}
	}
	if len(refs) == 0 { // the VEX profile wants at least one external reference
		for _, g := range groups {
			if isCVE(g.id) {
				refs = append(refs, &gocsaf.Reference{ReferenceCategory: ptr(string(gocsaf.CSAFReferenceCategoryExternal)), URL: ptr("https://nvd.nist.gov/vuln/detail/" + g.id), Summary: ptr(g.id + " at NVD")})
				break
			}
		}
	}
	pub, ns := DefaultPublisher, DefaultNamespace
	if in.Publisher != "" {
		pub = in.Publisher
	}
	if in.Namespace != "" {
		ns = in.Namespace
	}
	stamp := in.At.UTC().Format("20060102T150405Z")
	tid := "WARD-VEX-" + strings.ToUpper(safeID(site)) + "-" + stamp
	return &gocsaf.Document{
		Category:    ptr(gocsaf.DocumentCategory("csaf_vex")),
		CSAFVersion: ptr(gocsaf.CSAFVersion20),
		Lang:        ptr(gocsaf.Lang("en")),
		Title:       ptr(fmt.Sprintf("Ward VEX for %s (%s)", site, in.At.UTC().Format("2006-01-02"))),
		Publisher:   &gocsaf.DocumentPublisher{Category: ptr(gocsaf.CSAFCategoryUser), Name: ptr(pub), Namespace: ptr(ns)},
		Notes: gocsaf.Notes{{NoteCategory: ptr(gocsaf.CSAFNoteCategorySummary), Title: ptr("What this document states"), Text: ptr(summary)},
			{NoteCategory: ptr(gocsaf.CSAFNoteCategoryGeneral), Title: ptr("Sources"), Text: ptr("Advisories from the " + orWord(in.Feeds, "loaded") + " feeds; devices, versions and services from passive observation of network traffic.")}},
		References: refs,
		Tracking: &gocsaf.Tracking{
			ID: ptr(gocsaf.TrackingID(tid)), CurrentReleaseDate: ptr(date), InitialReleaseDate: ptr(date),
			Generator:       &gocsaf.Generator{Date: ptr(date), Engine: &gocsaf.Engine{Name: ptr("Ward"), Version: ptr(in.toolVersion())}},
			RevisionHistory: gocsaf.Revisions{{Date: ptr(date), Number: ptr(gocsaf.RevisionNumber("1")), Summary: ptr("Generated from the inventory and findings.")}},
			Status:          ptr(gocsaf.CSAFTrackingStatusFinal), Version: ptr(gocsaf.RevisionNumber("1")),
		},
	}
}

var unsafeID = lazyRegexp(`[^A-Za-z0-9]+`)

func safeID(s string) string { return strings.Trim(unsafeID().ReplaceAllString(s, "-"), "-") }

// productTree nests the devices under vendor, product name and version
// branches; the leaf is the device's host name branch (the same model and
// version are many devices in a hospital).
func productTree(devs []*inventory.Device, used map[string]bool) *gocsaf.ProductTree {
	type key struct{ vendor, product, version string }
	leaves := map[key][]*inventory.Device{}
	var keys []key
	for _, d := range sortedDevices(devs) {
		if !used[d.ID] {
			continue
		}
		k := key{orWord(d.Attr(fingerprint.Manufacturer), "Unknown vendor"), deviceName(d), d.Attr(fingerprint.Version)}
		if _, ok := leaves[k]; !ok {
			keys = append(keys, k)
		}
		leaves[k] = append(leaves[k], d)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return strings.Compare(a.vendor+"\x00"+a.product+"\x00"+a.version, b.vendor+"\x00"+b.product+"\x00"+b.version)
	})
	branch := func(cat gocsaf.BranchCategory, name string) *gocsaf.Branch {
		return &gocsaf.Branch{Category: ptr(cat), Name: ptr(name)}
	}
	var vendors gocsaf.Branches
	find := func(bs gocsaf.Branches, name string) *gocsaf.Branch {
		for _, b := range bs {
			if *b.Name == name {
				return b
			}
		}
		return nil
	}
	for _, k := range keys {
		v := find(vendors, k.vendor)
		if v == nil {
			v = branch(gocsaf.CSAFBranchCategoryVendor, k.vendor)
			vendors = append(vendors, v)
		}
		p := find(v.Branches, k.product)
		if p == nil {
			p = branch(gocsaf.CSAFBranchCategoryProductName, k.product)
			v.Branches = append(v.Branches, p)
		}
		parent := p
		if k.version != "" {
			parent = branch(gocsaf.CSAFBranchCategoryProductVersion, k.version)
			p.Branches = append(p.Branches, parent)
		}
		for _, d := range leaves[k] {
			host := hostLabel(d)
			leaf := branch(gocsaf.CSAFBranchCategoryHostName, host)
			name := strings.TrimSpace(strings.Join([]string{k.vendor, k.product, k.version}, " ")) + " (" + host + ")"
			leaf.Product = &gocsaf.FullProductName{Name: ptr(name), ProductID: ptr(gocsaf.ProductID(ProductID(d.ID))),
				ProductIdentificationHelper: identificationHelper(d)}
			parent.Branches = append(parent.Branches, leaf)
		}
	}
	return &gocsaf.ProductTree{Branches: vendors}
}

// hostLabel names the device on the network: hostname, address, MAC or id.
func hostLabel(d *inventory.Device) string {
	for _, s := range []string{d.Attr(fingerprint.Hostname), d.IP(), d.MAC} {
		if s != "" {
			return s
		}
	}
	return d.ID
}

func identificationHelper(d *inventory.Device) *gocsaf.ProductIdentificationHelper {
	h := &gocsaf.ProductIdentificationHelper{XGenericURIs: gocsaf.XGenericURIs{{Namespace: ptr(DefaultNamespace), URI: ptr("urn:ward:device:" + d.ID)}}}
	if m := d.Attr(fingerprint.Model); m != "" {
		h.ModelNumbers = []*string{ptr(m)}
	}
	if s := d.Attr(fingerprint.Serial); s != "" {
		h.SerialNumbers = []*string{ptr(s)}
	}
	return h
}

func products(ids []string) *gocsaf.Products {
	ps := make(gocsaf.Products, 0, len(ids))
	for _, id := range ids {
		ps = append(ps, ptr(gocsaf.ProductID(id)))
	}
	return &ps
}

var csafRemediationCategories = []string{"mitigation", "no_fix_planned", "none_available", "vendor_fix", "workaround"}

func csafVulnerability(in *Input, g vulnGroup, date string) *gocsaf.Vulnerability {
	v := &gocsaf.Vulnerability{}
	first := g.sts[0].Finding
	if isCVE(g.id) {
		v.CVE = ptr(gocsaf.CVE(g.id))
	}
	// Every advisory that said something about this vulnerability.
	seen := map[string]bool{}
	for _, st := range g.sts {
		a := st.Finding.Advisory
		if a == g.id || seen[a] {
			continue
		}
		seen[a] = true
		v.IDs = append(v.IDs, &gocsaf.VulnerabilityID{SystemName: ptr(orWord(in.Advisories[a].Publisher, string(st.Finding.Source))), Text: ptr(a)})
	}
	if v.CVE == nil && len(v.IDs) == 0 {
		v.IDs = append(v.IDs, &gocsaf.VulnerabilityID{SystemName: ptr(orWord(in.Advisories[g.id].Publisher, string(first.Source))), Text: ptr(g.id)})
	}
	if first.Title != "" {
		v.Title = ptr(first.Title)
	}
	status := &gocsaf.ProductStatus{}
	var affected, triage, notAffected, fixed []string
	flags := map[string][]string{}
	var threats gocsaf.Threats
	type remKey struct{ cat, text, url string }
	rems := map[remKey][]string{}
	var remOrder []remKey
	addRem := func(k remKey, pid string) {
		if _, ok := rems[k]; !ok {
			remOrder = append(remOrder, k)
		}
		if !slices.Contains(rems[k], pid) {
			rems[k] = append(rems[k], pid)
		}
	}
	scores := map[string][]string{} // vector -> product ids
	var scoreOrder []vuln.Score
	kev := false
	for _, st := range g.sts {
		pid := ProductID(st.DeviceID)
		f := st.Finding
		kev = kev || slices.Contains(f.KEVCVEs, g.id) || (f.KEV && len(f.CVEs) <= 1)
		threats = append(threats, &gocsaf.Threat{Category: ptr(gocsaf.CSAFThreatCategoryImpact), Date: ptr(date), Details: ptr(st.Detail), ProductIds: products([]string{pid})})
		switch st.State {
		case Exploitable:
			affected = append(affected, pid)
			n := 0
			for _, r := range f.Remediations {
				cat := r.Category
				if !slices.Contains(csafRemediationCategories, cat) {
					cat = "mitigation"
				}
				if strings.TrimSpace(r.Text) == "" {
					continue
				}
				addRem(remKey{cat, r.Text, r.URL}, pid)
				n++
			}
			if n == 0 {
				addRem(remKey{"none_available", "The advisory publishes no remediation; see the Ward remediation plan (ward plan) for network measures.", ""}, pid)
			}
		case InTriage:
			triage = append(triage, pid)
		case NotAffected:
			notAffected = append(notAffected, pid)
			flags[st.Justification.CSAF] = append(flags[st.Justification.CSAF], pid)
		case Resolved:
			fixed = append(fixed, pid)
		}
		if len(f.CVEs) <= 1 {
			for _, s := range f.CVSS {
				if _, ok := scores[s.Vector]; !ok {
					scoreOrder = append(scoreOrder, s)
				}
				if !slices.Contains(scores[s.Vector], pid) {
					scores[s.Vector] = append(scores[s.Vector], pid)
				}
			}
		}
	}
	if len(affected) > 0 {
		status.KnownAffected = products(affected)
	}
	if len(triage) > 0 {
		status.UnderInvestigation = products(triage)
	}
	if len(notAffected) > 0 {
		status.KnownNotAffected = products(notAffected)
	}
	if len(fixed) > 0 {
		status.Fixed = products(fixed)
	}
	v.ProductStatus = status
	labels := make([]string, 0, len(flags))
	for l := range flags {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	for _, l := range labels {
		v.Flags = append(v.Flags, &gocsaf.Flag{Label: ptr(gocsaf.FlagLabel(l)), Date: ptr(date), ProductIds: products(flags[l])})
	}
	if kev {
		threats = append(threats, &gocsaf.Threat{Category: ptr(gocsaf.CSAFThreatCategoryExploitStatus), Date: ptr(date),
			Details: ptr("Listed in CISA's Known Exploited Vulnerabilities catalog: exploited in the wild.")})
	}
	v.Threats = threats
	for _, k := range remOrder {
		r := &gocsaf.Remediation{Category: ptr(gocsaf.RemediationCategory(k.cat)), Details: ptr(k.text), ProductIds: products(rems[k])}
		if k.url != "" {
			r.URL = ptr(k.url)
		}
		v.Remediations = append(v.Remediations, r)
	}
	for _, s := range scoreOrder {
		if sc := csafScore(s, scores[s.Vector]); sc != nil {
			v.Scores = append(v.Scores, sc)
		}
	}
	nAff := len(affected) + len(triage)
	v.Notes = gocsaf.Notes{{NoteCategory: ptr(gocsaf.CSAFNoteCategoryDescription), Title: ptr("Ward's statement"),
		Text: ptr(fmt.Sprintf("%s: %d device(s) affected or under investigation, %d not affected, %d fixed by an applied control. Each device's evidence is in its impact statement.",
			orWord(first.Title, g.id), nAff, len(notAffected), len(fixed)))}}
	return v
}

// The patterns of the CVSS vector strings in the CSAF 2.0 schema: a score
// whose vector does not fit is left out rather than written invalid.
var (
	cvss2Vector = lazyRegexp(`^((AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))/)*(AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))$`)
	cvss3Vector = lazyRegexp(`^CVSS:3[.][01]/((AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])/)*(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])$`)
)

func csafScore(s vuln.Score, pids []string) *gocsaf.Score {
	score := s.Score
	switch {
	case strings.HasPrefix(s.Version, "2") && cvss2Vector().MatchString(s.Vector):
		return &gocsaf.Score{Products: products(pids), CVSS2: &gocsaf.CVSS2{Version: ptr(gocsaf.CVSSVersion20),
			VectorString: ptr(gocsaf.CVSS2VectorString(s.Vector)), BaseScore: &score}}
	case strings.HasPrefix(s.Version, "3") && cvss3Vector().MatchString(s.Vector):
		ver := gocsaf.CVSSVersion31
		if strings.HasPrefix(s.Vector, "CVSS:3.0/") {
			ver = gocsaf.CVSSVersion30
		}
		sev := strings.ToUpper(string(severity("CVSSv3", score)))
		return &gocsaf.Score{Products: products(pids), CVSS3: &gocsaf.CVSS3{Version: ptr(ver),
			VectorString: ptr(gocsaf.CVSS3VectorString(s.Vector)), BaseScore: &score, BaseSeverity: ptr(gocsaf.CVSS3Severity(sev))}}
	}
	return nil
}
