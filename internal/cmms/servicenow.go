package cmms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
)

// ServiceNow posts records to an Import Set staging table with
// POST {url}/api/now/import/{table}/insertMultiple; the transform map on the
// instance turns them into CMDB/asset updates. The instance transforms
// asynchronously by default, so each request names the previous import set
// in run_after: import sets are transformed in the order they were sent.
type ServiceNow struct {
	name, endpoint    string
	user, pass, token string
	fields            []Field
	batch             int
	client            HTTPDoer

	mu      sync.Mutex
	lastSet string // import_set_id of the last accepted request
}

// NewServiceNow builds the connector; client nil uses http.DefaultClient.
func NewServiceNow(cc ConnectorConfig, client HTTPDoer) *ServiceNow {
	if client == nil {
		client = http.DefaultClient
	}
	s := &ServiceNow{name: cc.Name, endpoint: strings.TrimRight(cc.URL, "/") + "/api/now/import/" + url.PathEscape(cc.Table) + "/insertMultiple",
		user: cc.Username, fields: cc.Fields, batch: cc.MaxBatch, client: client}
	if cc.PasswordEnv != "" {
		s.pass = os.Getenv(cc.PasswordEnv)
	}
	if cc.TokenEnv != "" {
		s.token = os.Getenv(cc.TokenEnv)
	}
	if len(s.fields) == 0 {
		s.fields = ServiceNowFields
	}
	if s.batch <= 0 {
		s.batch = 100
	}
	s.batch = min(s.batch, 200) // the documented per-request limit
	return s
}

// Name returns the connector name.
func (s *ServiceNow) Name() string { return s.name }

// MaxBatch is the records per insertMultiple request.
func (s *ServiceNow) MaxBatch() int { return s.batch }

// Send posts {"records": [...]}; each record also carries the idempotency
// key and event so the transform can coalesce replays.
func (s *ServiceNow) Send(ctx context.Context, batch []Message) error {
	recs := make([]map[string]string, 0, len(batch))
	keys := make([]string, 0, len(batch))
	for _, m := range batch {
		r := map[string]string{}
		for _, kv := range m.Device.Map(s.fields) {
			r[kv.Name] = kv.Value
		}
		r["u_ward_idempotency_key"] = m.Key
		r["u_ward_event"] = string(m.Event.Type)
		r["u_ward_event_time"] = m.Event.Time.UTC().Format("2006-01-02 15:04:05")
		recs = append(recs, r)
		keys = append(keys, m.Key)
	}
	body, err := json.Marshal(map[string]any{"records": recs})
	if err != nil {
		return &PermanentError{err}
	}
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Accept", "application/json")
	hdr.Set(HeaderIdempotency, strings.Join(keys, ","))
	if s.token != "" {
		hdr.Set("Authorization", "Bearer "+s.token)
	} else {
		req, _ := http.NewRequest(http.MethodPost, s.endpoint, nil)
		req.SetBasicAuth(s.user, s.pass)
		hdr.Set("Authorization", req.Header.Get("Authorization"))
	}
	// Sends are serialised so run_after always names the previous set.
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.endpoint
	if s.lastSet != "" {
		u += "?run_after=" + url.QueryEscape(s.lastSet)
	}
	answer, err := postRead(ctx, s.client, u, body, hdr)
	if err != nil {
		return err
	}
	var res struct {
		ImportSetID string `json:"import_set_id"`
	}
	if json.Unmarshal(answer, &res) == nil && res.ImportSetID != "" {
		s.lastSet = res.ImportSetID
	}
	return nil
}
