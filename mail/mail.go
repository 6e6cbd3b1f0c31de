// Package mail sends e-mail over SMTP (github.com/wneessen/go-mail): the
// briefs with their PDF attached and the alerts for critical reports. It
// knows nothing of briefs or reports: a Message is recipients, a subject, a
// plain-text and an HTML body and attachments.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of the connection to the SMTP server.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, required (port 587)
	TLSImplicit = "tls"      // TLS from the first byte, "SMTPS" (port 465)
	TLSNone     = "none"     // no encryption (a relay on localhost; no password allowed)
)

// Config is how to reach the SMTP server. The zero Host means e-mail is
// not configured.
type Config struct {
	Host     string
	Port     int // 0: 587 for starttls, 465 for tls, 25 for none
	Username string
	Password string
	// From is the sender address, optionally with a display name
	// ("Floorfeed <floorfeed@plant.example>").
	From string
	TLS  string // TLSStartTLS (default), TLSImplicit or TLSNone
	// Timeout bounds connecting and each SMTP command (default 30s).
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own CA);
	// nil: the system roots, TLS 1.2 or newer, ServerName = Host.
	TLSConfig *tls.Config
}

// DefaultTimeout is Config.Timeout's default.
const DefaultTimeout = 30 * time.Second

// Enabled reports whether e-mail is configured.
func (c Config) Enabled() bool { return c.Host != "" }

// Validate checks a configuration (an empty Host is valid: e-mail is off)
// and fills in its defaults.
func (c *Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("TLS mode %q: want starttls, tls or none", c.TLS))
	}
	if c.Port == 0 {
		c.Port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[c.TLS]
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d: want 1 to 65535", c.Port))
	}
	if strings.ContainsAny(c.Host, " /:") {
		errs = append(errs, fmt.Errorf("host %q: want a host name or address without port or scheme", c.Host))
	}
	if c.From == "" {
		errs = append(errs, errors.New("from: the sender address is required"))
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("from %q: %v", c.From, err))
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, errors.New("username and password: set both or neither"))
	}
	if c.Password != "" && c.TLS == TLSNone {
		errs = append(errs, errors.New("a password is never sent without TLS: use starttls or tls"))
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: must be positive", c.Timeout))
	}
	return errors.Join(errs...)
}

// Attachment is a file attached to a Message.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// Message is one e-mail.
type Message struct {
	To      []string
	Subject string // any Unicode: encoded per RFC 2047
	Text    string // the plain-text body
	HTML    string // the HTML alternative (optional)
	// Attachments are attached in order.
	Attachments []Attachment
	// ID is the Message-ID's local part (without <> or @host); empty: a
	// random one. A deterministic id per delivery lets mail clients
	// collapse a duplicate that an at-least-once retry might send.
	ID string
}

// Sender sends Messages over SMTP, one connection per message: briefs and
// alerts are few, and a fresh connection needs no keep-alive logic.
type Sender struct {
	cfg    Config
	domain string // of From, for Message-IDs
}

// New returns a Sender for cfg, which must be valid and enabled.
func New(cfg Config) (*Sender, error) {
	if !cfg.Enabled() {
		return nil, errors.New("mail: no SMTP host configured")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	from, _ := mail.ParseAddress(cfg.From) // checked by Validate
	_, domain, _ := strings.Cut(from.Address, "@")
	return &Sender{cfg: cfg, domain: domain}, nil
}

// Send sends m and returns its Message-ID (with the angle brackets). An
// error says which step failed (connect, TLS, auth, a recipient, the data)
// and wraps go-mail's *SendError where there is one.
func (s *Sender) Send(ctx context.Context, m Message) (string, error) {
	msg, err := s.build(m)
	if err != nil {
		return "", err
	}
	c, err := s.client()
	if err != nil {
		return "", err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return "", fmt.Errorf("send mail via %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return msg.GetMessageID(), nil
}

// Render returns m as the RFC 5322 bytes Send would transmit (for tests and
// for looking at a message without a server).
func (s *Sender) Render(m Message) ([]byte, error) {
	msg, err := s.build(m)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("render mail: %w", err)
	}
	return b.Bytes(), nil
}

func (s *Sender) build(m Message) (*gomail.Msg, error) {
	if len(m.To) == 0 {
		return nil, errors.New("mail: no recipients")
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", s.cfg.From, err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("mail: to %v: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID + "@" + s.domain)
	} else {
		msg.SetMessageID()
	}
	msg.SetGenHeader(gomail.HeaderXMailer, "Floorfeed")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := gomail.ContentType(a.ContentType)
		if ct == "" {
			ct = gomail.TypeAppOctetStream
		}
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(ct)); err != nil {
			return nil, fmt.Errorf("mail: attach %s: %w", a.Name, err)
		}
	}
	return msg, nil
}

func (s *Sender) client() (*gomail.Client, error) {
	tlsCfg := s.cfg.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(tlsCfg),
	}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client for %s: %w", s.cfg.Host, err)
	}
	return c, nil
}
