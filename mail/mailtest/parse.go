package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parsed is a received message decoded with the standard library only
// (net/mail, mime, mime/multipart), independently of the sender.
type Parsed struct {
	Header      mail.Header
	Subject     string // RFC 2047 decoded
	Text, HTML  string
	Attachments []Part
}

// Part is one attachment.
type Part struct {
	Name, ContentType string
	Data              []byte
}

// Parse decodes a message as a mail client would.
func Parse(data []byte) (Parsed, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Parsed{}, fmt.Errorf("read message: %w", err)
	}
	dec := new(mime.WordDecoder)
	subj, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return Parsed{}, fmt.Errorf("decode subject %q: %w", m.Header.Get("Subject"), err)
	}
	p := Parsed{Header: m.Header, Subject: subj}
	if err := p.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", m.Body); err != nil {
		return Parsed{}, err
	}
	return p, nil
}

func (p *Parsed) walk(ctype, cte, disposition string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(cte) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s part: %w", mt, err)
	}
	if d, dp, err := mime.ParseMediaType(disposition); err == nil && d == "attachment" {
		name := dp["filename"]
		if name == "" {
			name = params["name"]
		}
		// Mail clients decode an RFC 2047 word in a file name (as go-mail
		// writes non-ASCII names) as well as RFC 2231 (which mime does).
		if dn, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
			name = dn
		}
		p.Attachments = append(p.Attachments, Part{Name: name, ContentType: mt, Data: b})
		return nil
	}
	switch mt {
	case "text/plain":
		p.Text = string(b)
	case "text/html":
		p.HTML = string(b)
	default:
		p.Attachments = append(p.Attachments, Part{Name: params["name"], ContentType: mt, Data: b})
	}
	return nil
}
