package siem

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Format of the syslog message body.
type Format string

// Formats.
const (
	FormatCEF  Format = "cef"
	FormatJSON Format = "json"
)

// SyslogConfig configures a syslog sender.
type SyslogConfig struct {
	Network  string // "udp", "tcp" or "tls"
	Address  string // host:port
	Format   Format
	Facility int    // 0..23; default 10 (security/authorization, authpriv)
	Hostname string // default os.Hostname()
	AppName  string // default "ward"
	Version  string // product version in CEF
	TLS      *tls.Config
	Timeout  time.Duration // dial and write; default 5 s
}

// Validate checks the configuration.
func (c SyslogConfig) Validate() error {
	var errs []error
	switch c.Network {
	case "udp", "tcp", "tls":
	default:
		errs = append(errs, fmt.Errorf("syslog network %q: want udp, tcp or tls", c.Network))
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		errs = append(errs, fmt.Errorf("syslog address: %w", err))
	}
	if c.Format != FormatCEF && c.Format != FormatJSON {
		errs = append(errs, fmt.Errorf("syslog format %q: want cef or json", c.Format))
	}
	if c.Facility < 0 || c.Facility > 23 {
		errs = append(errs, fmt.Errorf("syslog facility %d out of 0..23", c.Facility))
	}
	return errors.Join(errs...)
}

// Syslog sends events as RFC 5424 messages. Stream transports use octet
// counting framing (RFC 6587 §3.4.1 / RFC 5425) and reconnect on error.
type Syslog struct {
	cfg  SyslogConfig
	mu   sync.Mutex
	conn net.Conn
}

// NewSyslog returns a sender; it connects on first use.
func NewSyslog(cfg SyslogConfig) (*Syslog, error) {
	if cfg.Facility == 0 {
		cfg.Facility = 10
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.AppName == "" {
		cfg.AppName = "ward"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &Syslog{cfg: cfg}, nil
}

// syslogSeverity maps CEF 0..10 to syslog severities (lower is worse).
func syslogSeverity(cef int) int {
	switch {
	case cef >= 9:
		return 2 // critical
	case cef >= 7:
		return 3 // error
	case cef >= 4:
		return 4 // warning
	}
	return 5 // notice
}

func header(s string, max int) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	for _, r := range s {
		if r > 32 && r < 127 && b.Len() < max {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// Message renders one RFC 5424 message (without transport framing).
func (s *Syslog) Message(e Event) ([]byte, error) {
	var body string
	msgID := "ward-" + e.Class
	switch s.cfg.Format {
	case FormatCEF:
		body = CEF(e, s.cfg.Version)
	default:
		j, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		body = string(j)
	}
	pri := s.cfg.Facility*8 + syslogSeverity(e.Severity)
	ts := e.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	sd := fmt.Sprintf(`[ward@32473 class="%s" type="%s" device="%s"]`, sdEscape(e.Class), sdEscape(e.Type), sdEscape(e.DeviceID))
	line := fmt.Sprintf("<%d>1 %s %s %s %d %s %s %s", pri, ts.UTC().Format("2006-01-02T15:04:05.000000Z"),
		header(s.cfg.Hostname, 255), header(s.cfg.AppName, 48), os.Getpid(), header(msgID, 32), sd, body)
	return []byte(line), nil
}

// sdEscape escapes an SD-PARAM value (RFC 5424 §6.3.3).
func sdEscape(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(v)
}

// Send delivers events, one message each.
func (s *Syslog) Send(ctx context.Context, evs ...Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range evs {
		msg, err := s.Message(e)
		if err != nil {
			return err
		}
		if err := s.write(ctx, msg); err != nil {
			// One reconnect: the collector may have restarted.
			s.close()
			if err = s.write(ctx, msg); err != nil {
				s.close()
				return fmt.Errorf("syslog %s %s: %w", s.cfg.Network, s.cfg.Address, err)
			}
		}
	}
	return nil
}

func (s *Syslog) write(ctx context.Context, msg []byte) error {
	if s.conn == nil {
		d := &net.Dialer{Timeout: s.cfg.Timeout}
		var err error
		switch s.cfg.Network {
		case "tls":
			td := &tls.Dialer{NetDialer: d, Config: s.cfg.TLS}
			s.conn, err = td.DialContext(ctx, "tcp", s.cfg.Address)
		default:
			s.conn, err = d.DialContext(ctx, s.cfg.Network, s.cfg.Address)
		}
		if err != nil {
			return err
		}
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
	if s.cfg.Network == "udp" {
		_, err := s.conn.Write(msg)
		return err
	}
	w := bufio.NewWriter(s.conn)
	w.WriteString(strconv.Itoa(len(msg)))
	w.WriteByte(' ')
	w.Write(msg)
	return w.Flush()
}

func (s *Syslog) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// Close closes the connection.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.close()
	return nil
}
