package cmms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// ServiceNow posts records to an Import Set staging table with
// POST {url}/api/now/import/{table}/insertMultiple; the transform map on the
// instance turns them into CMDB/asset updates.
type ServiceNow struct {
	name, endpoint    string
	user, pass, token string
	fields            []Field
	batch             int
	client            HTTPDoer
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
	return post(ctx, s.client, s.endpoint, body, hdr)
}
