package assess

import (
	"fmt"
	"strings"
)

// questions derives the questions for the manufacturer from the evidence:
// each one names what prompted it, so none is a generic checklist item.
func questions(as *Assessment) []Question {
	r := as.Record
	var q []Question
	add := func(text, ev string) { q = append(q, Question{Text: text, Evidence: ev}) }
	if r.Advisories+r.CVERecords == 0 {
		add("Do you have a coordinated vulnerability disclosure policy, and where do you publish security advisories (ideally as CSAF)?",
			"No advisory naming "+as.Canonical+" is in the loaded feeds (CISA ICSMA/ICSA, NVD, CVE).")
	}
	for i, k := range r.KEV {
		if i == 3 {
			break
		}
		ev := fmt.Sprintf("%s (%s) is in CISA KEV since %s; advisories %s", k.CVE, k.Name, k.DateAdded.Format("2006-01-02"), strings.Join(k.Advisories, ", "))
		if k.Ransomware {
			ev += "; used in ransomware campaigns"
		}
		add(fmt.Sprintf("Which of your currently shipping products and versions still contain %s, and how is the fix delivered and validated for them?", k.CVE), ev)
	}
	for _, c := range r.CWEs {
		if !c.Recurring {
			continue
		}
		add(fmt.Sprintf("%s appears in %d of your advisories. What did you change in design, code review or testing to stop it recurring, and has the %s been checked for it?", c.CWE, len(c.Advisories), product(as)),
			fmt.Sprintf("%s in %s", c.CWE, list(c.Advisories, 5)))
		break
	}
	for _, it := range r.Items {
		if it.Remediation == RemedyNoFix || (it.Remediation == RemedyFix && it.NoFixText != "") {
			add(fmt.Sprintf("Advisory %s leaves some products without a fix. Until what date will the %s receive security updates, and what happens at its end of support?", it.ID, product(as)),
				fmt.Sprintf("%s: \"%s\"", it.ID, it.NoFixText))
			break
		}
	}
	if n := r.Remediation.Total(); n > 0 && r.Remediation.MitigationOnly*3 >= n {
		add("Several advisories offered only mitigations. For the model we are buying, will fixes be delivered as patches, and how quickly after disclosure?",
			fmt.Sprintf("%d of %d advisories offered mitigations only", r.Remediation.MitigationOnly, n))
	}
	if m := r.Timeliness.MedianDaysToFix; m != nil && *m > 30 {
		add("Fixes in your past advisories took a median of "+fmt.Sprintf("%.0f", *m)+" days after public disclosure. What patch timeline do you commit to contractually for critical vulnerabilities?",
			fmt.Sprintf("time to fix measured on %d CVEs", len(r.Timeliness.CVEs)-r.Timeliness.NoFix))
	}
	if m := as.Model; m != nil && len(m.Advisories) > 0 {
		var ids []string
		for _, a := range m.Advisories {
			ids = append(ids, a.ID)
		}
		add(fmt.Sprintf("Which of %s apply to the version of the %s you would deliver, and is it shipped with those fixes installed?", list(ids, 4), as.Candidate.Model),
			plural(len(m.Advisories), "advisory matches", "advisories match")+" the model name")
	}
	if f := as.Field; f != nil {
		for _, b := range f.Behaviours {
			ev := fmt.Sprintf("seen on %s: %s", plural(len(b.Devices), "of your devices", "of your devices"), list(b.Detail, 3))
			switch b.Kind {
			case BehaviourCleartextHL7, BehaviourCleartextDICOM:
				add("Your devices send patient data in cleartext. Does the product support TLS for HL7/DICOM, and is it on by default?", ev)
			case BehaviourSMBv1:
				add("Can SMBv1 be disabled on the product without losing support, and why is it enabled?", ev)
			case BehaviourLegacyTLS, BehaviourBadCert:
				add("Does the product support TLS 1.2 or newer with certificates the hospital can replace and renew?", ev)
			case BehaviourTelnet, BehaviourFTP:
				add("Why does the product expose "+b.Label+", and can it be switched off?", ev)
			case BehaviourSNMP:
				add("Does the product support SNMPv3, and can the v1/v2c community be changed or disabled?", ev)
			case BehaviourPublicIP:
				add("Which internet services does the product contact, why, and can this be turned off or routed through the hospital's proxy?", ev)
			case BehaviourOutdatedOS:
				add("The operating system of your installed units is past its end of support. Which OS does the new unit ship with, until when is it supported, and will you validate OS updates?", ev)
			}
		}
		for _, l := range f.VersionLag {
			add(fmt.Sprintf("Your %s units run different versions (newest %s). What changed between them, and can the older ones be updated?", l.Model, l.Newest),
				"behind the newest: "+list(l.Behind, 4))
			break
		}
	}
	if s := as.SBOM; s != nil {
		for _, c := range s.Components {
			if len(c.KEV) > 0 {
				add(fmt.Sprintf("The SBOM lists %s %s, affected by %s. Is the vulnerable code reachable in the product, and when will a fixed build be available?", c.Name, c.Version, list(c.KEV, 3)),
					c.Reason)
				break
			}
		}
		if s.Unresolvable > 0 {
			var names []string
			for _, c := range s.Components {
				if c.Status == CompUnresolvable {
					names = append(names, c.Name)
				}
			}
			add("Please provide CPE or PURL identifiers and suppliers for the SBOM components we could not identify.", list(names, 5))
		}
	} else if r.Advisories+r.CVERecords > 0 {
		add("Please provide a machine-readable SBOM (CycloneDX or SPDX) for the exact version you would deliver.",
			fmt.Sprintf("%d past advisories; third-party components cannot be checked without an SBOM", r.Advisories+r.CVERecords))
	}
	if len(q) > 10 {
		q = q[:10]
	}
	return q
}

func product(as *Assessment) string {
	if as.Candidate.Model != "" {
		return as.Candidate.Model
	}
	return "product we are buying"
}

// Comparison puts the candidates side by side.
type Comparison struct {
	Rows []ComparisonRow `json:"rows"`
	Best string          `json:"best,omitempty"` // the best-scored candidate, when scores differ
}

// ComparisonRow is one measure across the candidates (Values in candidate order).
type ComparisonRow struct {
	Measure string   `json:"measure"`
	Values  []string `json:"values"`
}

func compare(as []Assessment) *Comparison {
	c := &Comparison{Rows: []ComparisonRow{}}
	row := func(name string, f func(a *Assessment) string) {
		r := ComparisonRow{Measure: name}
		for i := range as {
			r.Values = append(r.Values, f(&as[i]))
		}
		c.Rows = append(c.Rows, r)
	}
	row("Grade (score)", func(a *Assessment) string {
		if a.Score.Total == nil {
			return "n/a"
		}
		return fmt.Sprintf("%s (%.0f)", a.Score.Grade, *a.Score.Total)
	})
	row("Advisories", func(a *Assessment) string { return fmt.Sprint(a.Record.Advisories + a.Record.CVERecords) })
	row("CVEs", func(a *Assessment) string { return fmt.Sprint(a.Record.CVEs) })
	row("KEV CVEs (ransomware)", func(a *Assessment) string { return fmt.Sprintf("%d (%d)", len(a.Record.KEV), a.Record.Ransomware) })
	row("Advisories with a fix", func(a *Assessment) string {
		if n := a.Record.Remediation.Total(); n > 0 {
			return fmt.Sprintf("%d of %d", a.Record.Remediation.Fix, n)
		}
		return "–"
	})
	row("Median days to fix", func(a *Assessment) string {
		if m := a.Record.Timeliness.MedianDaysToFix; m != nil {
			return fmt.Sprintf("%.0f", *m)
		}
		return "–"
	})
	row("Trend", func(a *Assessment) string { return a.Record.Trend.Verdict })
	row("Model advisories", func(a *Assessment) string {
		if a.Model == nil {
			return "–"
		}
		return fmt.Sprint(len(a.Model.Advisories))
	})
	row("Devices seen / risky behaviours", func(a *Assessment) string {
		if a.Field == nil {
			return "no inventory"
		}
		return fmt.Sprintf("%d / %d", len(a.Field.Devices), len(a.Field.Behaviours))
	})
	bestI, bestV, tie := -1, -1.0, false
	for i := range as {
		if t := as[i].Score.Total; t != nil {
			switch {
			case *t > bestV:
				bestI, bestV, tie = i, *t, false
			case *t == bestV:
				tie = true
			}
		}
	}
	if bestI >= 0 && !tie {
		c.Best = as[bestI].Candidate.String()
	}
	return c
}
