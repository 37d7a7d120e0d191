package cmms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"time"
)

// Webhook headers.
const (
	HeaderSignature   = "X-Ward-Signature" // "sha256=" + hex HMAC-SHA256 of the body
	HeaderIdempotency = "Idempotency-Key"  // Message.Key
	HeaderEvent       = "X-Ward-Event"     // event type
)

// Webhook posts one JSON document per change: the mapped device and the event.
type Webhook struct {
	name   string
	url    string
	secret []byte
	header string
	fields []Field
	client HTTPDoer
	now    func() time.Time
}

// WebhookBody is the JSON a webhook receiver gets.
type WebhookBody struct {
	IdempotencyKey string            `json:"idempotency_key"`
	Site           string            `json:"site"`
	DeviceID       string            `json:"device_id"`
	Event          EventInfo         `json:"event"`
	Device         map[string]string `json:"device"`
	SentAt         time.Time         `json:"sent_at"`
}

// NewWebhook builds a webhook connector; client nil uses http.DefaultClient.
func NewWebhook(cc ConnectorConfig, client HTTPDoer) *Webhook {
	secret := cc.Secret
	if cc.SecretEnv != "" {
		secret = os.Getenv(cc.SecretEnv)
	}
	if client == nil {
		client = http.DefaultClient
	}
	w := &Webhook{name: cc.Name, url: cc.URL, secret: []byte(secret), header: cc.Header, fields: cc.Fields, client: client, now: time.Now}
	if w.header == "" {
		w.header = HeaderSignature
	}
	if len(w.fields) == 0 {
		w.fields = WebhookFields()
	}
	return w
}

// Name returns the connector name.
func (w *Webhook) Name() string { return w.name }

// Send posts each message; the first failure fails the batch (of one).
func (w *Webhook) Send(ctx context.Context, batch []Message) error {
	for _, m := range batch {
		dev := map[string]string{}
		for _, kv := range m.Device.Map(w.fields) {
			if kv.Value != "" {
				dev[kv.Name] = kv.Value
			}
		}
		body, err := json.Marshal(WebhookBody{IdempotencyKey: m.Key, Site: m.Site, DeviceID: m.DeviceID, Event: m.Event, Device: dev, SentAt: w.now().UTC().Truncate(time.Second)})
		if err != nil {
			return &PermanentError{err}
		}
		hdr := http.Header{}
		hdr.Set("Content-Type", "application/json")
		hdr.Set(HeaderIdempotency, m.Key)
		hdr.Set(HeaderEvent, string(m.Event.Type))
		hdr.Set(w.header, Sign(w.secret, body))
		if err := post(ctx, w.client, w.url, body, hdr); err != nil {
			return err
		}
	}
	return nil
}

// Sign returns the signature header value of body: "sha256=" + hex HMAC.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header in constant time (for receivers and tests).
func Verify(secret, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(sig))
}
