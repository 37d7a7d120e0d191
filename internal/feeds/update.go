package feeds

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/wardiomt/ward/internal/vuln"
)

// UpdateConfig says where to download feeds from; every URL can point to
// an internal mirror.
type UpdateConfig struct {
	Sources       []string // any of nvd, kev, epss, csaf, icsadv
	NVDBase       string
	NVDAPIKey     string
	NVDInterval   time.Duration // minimum delay between NVD requests
	NVDSince      string        // YYYY-MM-DD; "" = since the last update, or all
	NVDPageSize   int
	KEVURL        string
	EPSSURL       string
	ICSAdvURL     string   // the ICS Advisory Project's CISA_ICS_ADV_Master.csv
	CSAFProviders []string // provider-metadata.json URLs
	CSAFMatch     string   // regexp on document URLs
	Client        *http.Client
	Now           func() time.Time
	Sleep         func(context.Context, time.Duration) error
}

// DefaultUpdateConfig returns the official sources.
func DefaultUpdateConfig() UpdateConfig {
	return UpdateConfig{
		Sources:       []string{"kev", "epss", "csaf", "icsadv", "nvd"},
		NVDBase:       "https://services.nvd.nist.gov/rest/json/cves/2.0",
		NVDPageSize:   2000,
		KEVURL:        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
		EPSSURL:       "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
		ICSAdvURL:     "https://raw.githubusercontent.com/icsadvprj/ICS-Advisory-Project/main/ICS-CERT_ADV/CISA_ICS_ADV_Master.csv",
		CSAFProviders: []string{"https://www.cisa.gov/.well-known/csaf/provider-metadata.json"},
		CSAFMatch:     `(?i)icsma|icsa`,
	}
}

// Update downloads the configured sources and imports each response in
// its own transaction. NVD is paged with startIndex/resultsPerPage, sends
// the apiKey header, and waits NVDInterval between requests (NVD allows 5
// requests per 30 s without a key, 50 with one).
func Update(ctx context.Context, s *Store, cfg UpdateConfig, log *slog.Logger) ([]Summary, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	def := DefaultUpdateConfig()
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.NVDPageSize <= 0 || cfg.NVDPageSize > 2000 {
		cfg.NVDPageSize = def.NVDPageSize
	}
	if cfg.NVDInterval == 0 {
		cfg.NVDInterval = 6 * time.Second
		if cfg.NVDAPIKey != "" {
			cfg.NVDInterval = 600 * time.Millisecond
		}
	}
	if len(cfg.Sources) == 0 {
		cfg.Sources = def.Sources
	}
	u := &updater{s: s, cfg: cfg, log: log, norm: vuln.NewNormalizer(nil)}
	var out []Summary
	for _, src := range cfg.Sources {
		var (
			sums []Summary
			err  error
		)
		switch src {
		case "kev":
			sums, err = u.single(ctx, cfg.KEVURL, nil)
		case "epss":
			sums, err = u.single(ctx, cfg.EPSSURL, nil)
		case "icsadv":
			sums, err = u.single(ctx, cmp.Or(cfg.ICSAdvURL, def.ICSAdvURL), nil)
		case "csaf":
			sums, err = u.csaf(ctx)
		case "nvd":
			sums, err = u.nvd(ctx)
		case "":
			continue
		default:
			err = fmt.Errorf("unknown source %q (want nvd, kev, epss, csaf, icsadv)", src)
		}
		out = append(out, sums...)
		if err != nil {
			return out, fmt.Errorf("update %s: %w", src, err)
		}
		log.Info("feed updated", "source", src, "files", len(sums))
	}
	return out, nil
}

type updater struct {
	s    *Store
	cfg  UpdateConfig
	log  *slog.Logger
	norm *vuln.Normalizer
	last time.Time
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (u *updater) get(ctx context.Context, rawURL string, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "ward-feeds/1")
	resp, err := u.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	return resp, nil
}

func (u *updater) single(ctx context.Context, rawURL string, hdr http.Header) ([]Summary, error) {
	resp, err := u.get(ctx, rawURL, hdr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	sum, err := u.s.ImportReader(ctx, rawURL, resp.Body, u.norm)
	if err != nil {
		return nil, err
	}
	return []Summary{sum}, nil
}

// csaf walks provider-metadata.json -> ROLIE feeds -> documents.
func (u *updater) csaf(ctx context.Context) ([]Summary, error) {
	var match *regexp.Regexp
	if u.cfg.CSAFMatch != "" {
		var err error
		if match, err = regexp.Compile(u.cfg.CSAFMatch); err != nil {
			return nil, fmt.Errorf("--csaf-match: %w", err)
		}
	}
	var out []Summary
	for _, pm := range u.cfg.CSAFProviders {
		var meta struct {
			Distributions []struct {
				DirectoryURL string `json:"directory_url"`
				ROLIE        *struct {
					Feeds []struct {
						TLPLabel string `json:"tlp_label"`
						URL      string `json:"url"`
					} `json:"feeds"`
				} `json:"rolie"`
			} `json:"distributions"`
		}
		if err := u.getJSON(ctx, pm, &meta); err != nil {
			return out, fmt.Errorf("provider metadata: %w", err)
		}
		var docs []string
		for _, d := range meta.Distributions {
			if d.ROLIE == nil {
				continue
			}
			for _, f := range d.ROLIE.Feeds {
				if f.TLPLabel != "" && f.TLPLabel != "WHITE" && f.TLPLabel != "CLEAR" {
					continue // only public feeds
				}
				feedURL, err := resolve(pm, f.URL)
				if err != nil {
					return out, err
				}
				var feed struct {
					Feed struct {
						Entry []struct {
							Content struct {
								Src string `json:"src"`
							} `json:"content"`
							Link []struct {
								Rel  string `json:"rel"`
								Href string `json:"href"`
							} `json:"link"`
						} `json:"entry"`
					} `json:"feed"`
				}
				if err := u.getJSON(ctx, feedURL, &feed); err != nil {
					return out, fmt.Errorf("ROLIE feed: %w", err)
				}
				for _, e := range feed.Feed.Entry {
					src := e.Content.Src
					for _, l := range e.Link {
						if src == "" && l.Rel == "self" {
							src = l.Href
						}
					}
					if src == "" {
						continue
					}
					abs, err := resolve(feedURL, src)
					if err != nil {
						return out, err
					}
					if match == nil || match.MatchString(abs) {
						docs = append(docs, abs)
					}
				}
			}
		}
		slices.Sort(docs)
		for _, d := range slices.Compact(docs) {
			sums, err := u.single(ctx, d, nil)
			if err != nil {
				return out, err
			}
			out = append(out, sums...)
		}
	}
	return out, nil
}

func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

func (u *updater) getJSON(ctx context.Context, rawURL string, v any) error {
	resp, err := u.get(ctx, rawURL, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", rawURL, err)
	}
	return nil
}

// nvd pages through the CVE API, in windows of at most 120 days when
// filtering by lastModified (the API's limit).
func (u *updater) nvd(ctx context.Context) ([]Summary, error) {
	since := u.cfg.NVDSince
	if since == "" {
		v, err := u.s.Meta(ctx, "nvd_last_update")
		if err != nil {
			return nil, err
		}
		since = v
	}
	started := u.cfg.Now().UTC()
	var windows [][2]time.Time
	if since != "" {
		from, err := time.Parse("2006-01-02", since[:min(len(since), 10)])
		if err != nil {
			return nil, fmt.Errorf("nvd since %q: %w", since, err)
		}
		for from.Before(started) {
			to := from.Add(120 * 24 * time.Hour)
			if to.After(started) {
				to = started
			}
			windows = append(windows, [2]time.Time{from, to})
			from = to
		}
	} else {
		windows = append(windows, [2]time.Time{})
	}
	hdr := http.Header{}
	if u.cfg.NVDAPIKey != "" {
		hdr.Set("apiKey", u.cfg.NVDAPIKey)
	}
	var out []Summary
	for _, w := range windows {
		for start := 0; ; {
			q := url.Values{}
			q.Set("startIndex", strconv.Itoa(start))
			q.Set("resultsPerPage", strconv.Itoa(u.cfg.NVDPageSize))
			if !w[0].IsZero() {
				q.Set("lastModStartDate", w[0].Format("2006-01-02T15:04:05.000Z"))
				q.Set("lastModEndDate", w[1].Format("2006-01-02T15:04:05.000Z"))
			}
			if !u.last.IsZero() {
				if wait := u.cfg.NVDInterval - u.cfg.Now().Sub(u.last); wait > 0 {
					if err := u.cfg.Sleep(ctx, wait); err != nil {
						return out, err
					}
				}
			}
			u.last = u.cfg.Now()
			pageURL := u.cfg.NVDBase + "?" + q.Encode()
			resp, err := u.get(ctx, pageURL, hdr)
			if err != nil {
				return out, err
			}
			var total int
			counter := &totalSniffer{}
			sum, err := u.s.ImportReader(ctx, pageURL, io.TeeReader(resp.Body, counter), u.norm)
			resp.Body.Close()
			if err != nil {
				return out, err
			}
			out = append(out, sum)
			total = counter.total()
			if total < 0 {
				return out, errors.New("NVD response without totalResults")
			}
			start += u.cfg.NVDPageSize
			if start >= total || sum.Records == 0 {
				break
			}
		}
	}
	return out, u.s.SetMeta(ctx, "nvd_last_update", started.Format("2006-01-02"))
}

// totalSniffer finds "totalResults" in the head of an API response
// without a second parse.
type totalSniffer struct {
	head []byte
}

var totalRe = regexp.MustCompile(`"totalResults"\s*:\s*(\d+)`)

func (t *totalSniffer) Write(p []byte) (int, error) {
	if len(t.head) < 4096 {
		t.head = append(t.head, p[:min(len(p), 4096-len(t.head))]...)
	}
	return len(p), nil
}

func (t *totalSniffer) total() int {
	m := totalRe.FindSubmatch(t.head)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
