package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/floorfeed/floorfeed/plant"
)

// Headers of the generic webhook.
const (
	HeaderSignature = "X-Floorfeed-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderTimestamp = "X-Floorfeed-Timestamp" // Unix seconds; receivers should refuse old ones (replays)
	HeaderEvent     = "X-Floorfeed-Event"     // "report.critical"
)

// EventCritical is the generic webhook's event name.
const EventCritical = "report.critical"

// Payload is the generic webhook's JSON body.
type Payload struct {
	Event  string        `json:"event"`
	SentAt time.Time     `json:"sent_at"`
	Team   string        `json:"team"`
	Report PayloadReport `json:"report"`
}

// PayloadReport is the report in a generic webhook body.
type PayloadReport struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Line      string    `json:"line"`
	LineName  string    `json:"line_name"`
	Station   string    `json:"station,omitempty"`
	Category  string    `json:"category"`
	Severity  string    `json:"severity"`
	Title     string    `json:"title"`
	Body      string    `json:"body,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	URL       string    `json:"url,omitempty"`
}

// SignGeneric returns the generic webhook's signature header value.
func SignGeneric(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignDingTalk returns DingTalk's sign for a timestamp in milliseconds:
// base64(HMAC-SHA256(key=secret, msg=timestamp+"\n"+secret)), to be URL-encoded.
func SignDingTalk(secret, timestampMs string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestampMs + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignFeishu returns Feishu's sign for a timestamp in seconds:
// base64(HMAC-SHA256(key=timestamp+"\n"+secret, msg="")).
func SignFeishu(secret, timestampS string) string {
	m := hmac.New(sha256.New, []byte(timestampS+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// message is the robot formats' shared content.
type message struct {
	Title    string // one line
	Markdown string // WeCom/DingTalk markdown
	Text     string // plain text (Feishu)
}

// request builds the HTTP request of a webhook post.
func request(ctx context.Context, w plant.Webhook, p Payload, m message, now time.Time) (*http.Request, error) {
	var body any
	target := w.URL
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	switch w.Kind {
	case plant.WebhookGeneric:
		body = p
	case plant.WebhookWeCom:
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": m.Markdown}}
	case plant.WebhookDingTalk:
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": m.Title, "text": m.Markdown}}
		if w.Secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			u, err := url.Parse(w.URL)
			if err != nil {
				return nil, fmt.Errorf("webhook url: %w", err)
			}
			q := u.Query()
			q.Set("timestamp", ts)
			q.Set("sign", SignDingTalk(w.Secret, ts))
			u.RawQuery = q.Encode()
			target = u.String()
		}
	case plant.WebhookFeishu:
		fb := map[string]any{"msg_type": "text", "content": map[string]string{"text": m.Text}}
		if w.Secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			fb["timestamp"], fb["sign"] = ts, SignFeishu(w.Secret, ts)
		}
		body = fb
	default:
		return nil, fmt.Errorf("unknown webhook kind %q", w.Kind)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode webhook body: %w", err)
	}
	if w.Kind == plant.WebhookGeneric {
		ts := strconv.FormatInt(now.Unix(), 10)
		header.Set(HeaderTimestamp, ts)
		header.Set(HeaderSignature, SignGeneric(w.Secret, ts, b))
		header.Set(HeaderEvent, EventCritical)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("webhook request: %w", err)
	}
	req.Header = header
	req.Header.Set("User-Agent", "Floorfeed")
	return req, nil
}

// robotReply is the robots' answer: WeCom and DingTalk say errcode, Feishu
// says code (and StatusCode in older versions); 0 is success.
type robotReply struct {
	ErrCode    *int   `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
	Code       *int   `json:"code"`
	Msg        string `json:"msg"`
	StatusCode *int   `json:"StatusCode"`
}

// post sends one webhook and checks the answer: a 2xx, and for the robots a
// zero error code in the body (they answer 200 to a bad signature).
func post(c *http.Client, req *http.Request, kind string) error {
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("post %s webhook to %s: %w", kind, req.URL.Host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // a short read only shortens the error text
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post %s webhook to %s: %s: %.200s", kind, req.URL.Host, resp.Status, b)
	}
	if kind == plant.WebhookGeneric {
		return nil
	}
	var r robotReply
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("post %s webhook to %s: unreadable answer %.200q", kind, req.URL.Host, b)
	}
	for _, code := range []*int{r.ErrCode, r.Code, r.StatusCode} {
		if code != nil && *code != 0 {
			return fmt.Errorf("post %s webhook to %s: refused: code %d %s%s", kind, req.URL.Host, *code, r.ErrMsg, r.Msg)
		}
	}
	return nil
}
