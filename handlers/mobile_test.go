package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// mobileEnv is a server over one backend with photos and votes wired as
// serve wires them, its photo job's handler, and an API token.
type mobileEnv struct {
	t      *testing.T
	srv    *handlers.Server
	st     store.Store
	photos photo.Store
	proc   *photo.Processor
	signer *signing.Signer
	clock  *testutil.Clock
	bearer string
}

func newMobileEnv(t *testing.T, be backends.Backend, cfg handlers.Config, limiter func(store.Store) handlers.SubmitLimiter) *mobileEnv {
	t.Helper()
	st := be.Open(t)
	var ps photo.Store
	if be.Name == "redis" {
		ps = photo.NewRecordStore(st)
	} else {
		ps = photo.NewFileStore(t.TempDir())
	}
	sg, err := signing.New([]byte("handlers-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(testStart)
	p := plant.Sample()
	tokens, err := auth.New(auth.Deps{Tokens: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	d := handlers.Deps{
		Intake:  intake.New(intake.Deps{Store: st, Plant: p, Signer: sg, Now: clk.Now}),
		Reports: st, Replays: st, Tokens: tokens, Ready: st.Ping, Plant: p, Signer: sg,
		Photos: ps, Votes: st, Now: clk.Now, Config: cfg,
	}
	if limiter != nil {
		d.Limiter = limiter(st)
	}
	srv, err := handlers.New(d)
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	secret, _, err := tokens.CreateToken(context.Background(), "mobile-test")
	if err != nil {
		t.Fatalf("create API token: %v", err)
	}
	return &mobileEnv{t: t, srv: srv, st: st, photos: ps, proc: photo.NewProcessor(ps, st, nil), signer: sg, clock: clk, bearer: secret}
}

func (e *mobileEnv) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

// submitPhotos posts a multipart report for line sx-1 with photos.
func (e *mobileEnv) submitPhotos(key string, extra map[string]string, photos ...[]byte) *httptest.ResponseRecorder {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields := map[string]string{"line": "sx-1", "token": e.signer.LineToken("sx-1"), "title": "seal leaking", "lang": "en"}
	for k, v := range extra {
		fields[k] = v
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for i, b := range photos {
		w, _ := mw.CreateFormFile("photo", fmt.Sprintf("p%d.jpg", i))
		_, _ = w.Write(b)
	}
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return e.do(req)
}

func (e *mobileEnv) apiGet(path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+e.bearer)
	return e.do(req)
}

// processPhotos runs the photo job of report id, as the worker would.
func (e *mobileEnv) processPhotos(id string) {
	e.t.Helper()
	if err := e.proc.Handle(context.Background(), store.Job{ID: "photo:" + id, Type: store.JobProcessPhotos, ReportID: id}); err != nil {
		e.t.Fatalf("photo job for %s: %v", id, err)
	}
}

func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gpsJPEG is testJPEG with an EXIF segment holding GPS coordinates and a
// marker string.
func gpsJPEG(t *testing.T, marker string) []byte {
	jpg := testJPEG(t, 200, 150)
	// TIFF little-endian: IFD0 {ImageDescription → marker, GPSInfo → IFD}, GPS IFD {LatitudeRef N}.
	desc := append([]byte(marker), 0)
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	le := func(v uint32, n int) []byte {
		b := make([]byte, n)
		for i := range n {
			b[i] = byte(v >> (8 * i))
		}
		return b
	}
	descOff := 8 + 2 + 2*12 + 4
	gpsOff := descOff + len(desc)
	tiff = append(tiff, le(2, 2)...)
	tiff = append(tiff, append(append(append(le(0x010E, 2), le(2, 2)...), le(uint32(len(desc)), 4)...), le(uint32(descOff), 4)...)...)
	tiff = append(tiff, append(append(append(le(0x8825, 2), le(4, 2)...), le(1, 4)...), le(uint32(gpsOff), 4)...)...)
	tiff = append(tiff, le(0, 4)...)
	tiff = append(tiff, desc...)
	tiff = append(tiff, le(1, 2)...)
	tiff = append(tiff, append(append(append(le(1, 2), le(2, 2)...), le(2, 4)...), 'N', 0, 0, 0)...)
	tiff = append(tiff, le(0, 4)...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return append(append(append([]byte{}, jpg[:2]...), app1...), jpg[2:]...)
}

type apiReportPhotos struct {
	ID     string `json:"id"`
	Votes  int    `json:"votes"`
	Photos []struct {
		ID       string `json:"id"`
		URL      string `json:"url"`
		ThumbURL string `json:"thumb_url"`
		Width    int    `json:"width"`
		Height   int    `json:"height"`
	} `json:"photos"`
}

// A photo submitted with a report is stored before the 201, listed and
// served only once re-encoded, and what is served carries no EXIF (GPS).
func TestPhotoSubmitProcessServe(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			e := newMobileEnv(t, be, handlers.Config{}, nil)
			const marker = "GPS-MARKER-8123"
			orig := gpsJPEG(t, marker)
			rec := e.submitPhotos("k-photo-1", nil, orig, testJPEG(t, 64, 48))
			if rec.Code != http.StatusCreated {
				t.Fatalf("POST multipart with 2 photos = %d %s, want 201", rec.Code, rec.Body)
			}
			var sub struct{ ID string }
			_ = json.Unmarshal(rec.Body.Bytes(), &sub)
			stored, err := e.st.Report(context.Background(), sub.ID)
			if err != nil || len(stored.Photos) != 2 || stored.Photos[0].State != store.PhotoPending {
				t.Fatalf("stored report photos = %+v, %v; want 2 pending", stored.Photos, err)
			}
			// The 201 means the original is stored.
			if b, err := e.photos.Get(context.Background(), sub.ID, stored.Photos[0].ID, photo.Original); err != nil || !bytes.Equal(b, orig) {
				t.Fatalf("original after the 201: %d bytes, %v", len(b), err)
			}
			var got apiReportPhotos
			_ = json.Unmarshal(e.apiGet("/api/v1/reports/"+sub.ID).Body.Bytes(), &got)
			if len(got.Photos) != 0 {
				t.Errorf("photos listed before re-encoding: %+v", got.Photos)
			}
			if rec := e.apiGet("/api/v1/reports/" + sub.ID + "/photos/" + stored.Photos[0].ID); rec.Code != http.StatusNotFound {
				t.Errorf("GET a pending photo = %d, want 404 (originals are never served)", rec.Code)
			}

			e.processPhotos(sub.ID)
			e.processPhotos(sub.ID) // idempotent
			_ = json.Unmarshal(e.apiGet("/api/v1/reports/"+sub.ID).Body.Bytes(), &got)
			if len(got.Photos) != 2 || got.Photos[0].Width != 200 || got.Photos[0].Height != 150 {
				t.Fatalf("photos after the job = %+v, want 2, the first 200×150", got.Photos)
			}
			for _, u := range []string{got.Photos[0].URL, got.Photos[0].ThumbURL} {
				rec := e.apiGet(u)
				if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/jpeg" {
					t.Fatalf("GET %s = %d %s", u, rec.Code, rec.Header().Get("Content-Type"))
				}
				b := rec.Body.Bytes()
				if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte(marker)) {
					t.Errorf("GET %s: served bytes carry the EXIF", u)
				}
				if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
					t.Errorf("GET %s: not a JPEG: %v", u, err)
				}
			}
			if _, err := e.photos.Get(context.Background(), sub.ID, stored.Photos[0].ID, photo.Original); err == nil {
				t.Error("original still stored after the job")
			}
			req := httptest.NewRequest(http.MethodGet, got.Photos[0].URL, nil)
			if rec := e.do(req); rec.Code != http.StatusUnauthorized {
				t.Errorf("GET photo without a token = %d, want 401", rec.Code)
			}

			// A replay of the key stores nothing more and keeps the first photos.
			rec = e.submitPhotos("k-photo-1", nil, orig, testJPEG(t, 64, 48))
			if rec.Code != http.StatusOK {
				t.Fatalf("replay = %d %s, want 200", rec.Code, rec.Body)
			}
			ids, err := e.photos.Candidates(context.Background(), testStart.Add(-time.Hour), testStart.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if id != sub.ID {
					t.Errorf("photos of the replay left under report %s", id)
				}
			}
		})
	}
}

func TestPhotoRefusals(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 100)...)
	bomb := pngBomb()
	tests := []struct {
		name   string
		lang   string
		photos [][]byte
		want   string
	}{
		{"heic en", "en", [][]byte{heic}, "HEIC photos"},
		{"heic zh", "zh", [][]byte{heic}, "不支持 HEIC"},
		{"gif", "en", [][]byte{[]byte("GIF89a......")}, "JPEG or PNG"},
		{"corrupt jpeg", "en", [][]byte{[]byte("\xff\xd8\xff\xe0garbage")}, "damaged"},
		{"bomb", "en", [][]byte{bomb}, "too many pixels"},
		{"four photos", "en", [][]byte{testJPEG(t, 8, 8), testJPEG(t, 8, 8), testJPEG(t, 8, 8), testJPEG(t, 8, 8)}, "at most 3"},
		{"11 MB", "en", [][]byte{append(testJPEG(t, 8, 8), make([]byte, 11<<20)...)}, "at most 10 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.submitPhotos("", map[string]string{"lang": tt.lang}, tt.photos...)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("POST = %d %s, want 400", rec.Code, rec.Body)
			}
			var eb struct {
				Error struct {
					Code   string            `json:"code"`
					Fields map[string]string `json:"fields"`
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code != "validation" || !strings.Contains(eb.Error.Fields["photo"], tt.want) {
				t.Fatalf("POST = %s, want a validation error with photo %q", rec.Body, tt.want)
			}
		})
	}
	p, err := e.st.FindReports(context.Background(), store.Filter{})
	if err != nil || len(p.Reports) != 0 {
		t.Errorf("stored %d reports from refused submissions (%v)", len(p.Reports), err)
	}
	ids, _ := e.photos.Candidates(context.Background(), testStart.Add(-time.Hour), testStart.Add(time.Hour))
	if len(ids) != 0 {
		t.Errorf("photos left from refused submissions: %v", ids)
	}
	// The no-JS form (an empty file input) still submits.
	if rec := e.submitPhotos("", nil, []byte{}); rec.Code != http.StatusCreated {
		t.Errorf("POST with an empty photo part = %d %s, want 201", rec.Code, rec.Body)
	}
}

// pngBomb is a PNG header declaring 30000×30000 RGBA pixels.
func pngBomb() []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte{0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 6, 0, 0, 0}
	chunk := append([]byte("IHDR"), ihdr...)
	buf.Write([]byte{0, 0, 0, 13})
	buf.Write(chunk)
	c := crc32IEEE(chunk)
	buf.Write([]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
	return buf.Bytes()
}

func crc32IEEE(b []byte) uint32 {
	var crc uint32 = 0xffffffff
	for _, x := range b {
		crc ^= uint32(x)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ 0xedb88320
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

// vote posts a "me too" as the phone's script does.
func (e *mobileEnv) vote(id, token, device string) *httptest.ResponseRecorder {
	b, _ := json.Marshal(map[string]string{"token": token, "device_id": device})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports/"+id+"/votes", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

func (e *mobileEnv) submitJSON(line, title string) string {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"line": line, "token": e.signer.LineToken(line), "title": title})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	rec := e.do(req)
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("submit %s = %d %s", title, rec.Code, rec.Body)
	}
	var sub struct{ ID string }
	_ = json.Unmarshal(rec.Body.Bytes(), &sub)
	return sub.ID
}

// 50 concurrent "me too" from one device count once; from 50 devices, 50.
func TestVotesConcurrent(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			e := newMobileEnv(t, be, handlers.Config{}, nil)
			one := e.submitJSON("sx-1", "pump noisy")
			e.clock.Advance(time.Second)
			many := e.submitJSON("sx-1", "valve stuck")
			tok := e.signer.LineToken("sx-1")
			var wg sync.WaitGroup
			counts := make(chan int, 100)
			for i := range 50 {
				wg.Go(func() {
					for _, v := range []struct{ id, dev string }{{one, "same-device"}, {many, fmt.Sprintf("device-%02d", i)}} {
						rec := e.vote(v.id, tok, v.dev)
						var res struct {
							Votes int  `json:"votes"`
							Voted bool `json:"voted"`
						}
						if err := json.Unmarshal(rec.Body.Bytes(), &res); rec.Code != http.StatusOK || err != nil || !res.Voted {
							t.Errorf("vote %s by %s = %d %s", v.id, v.dev, rec.Code, rec.Body)
						}
						if v.id == one {
							counts <- res.Votes
						}
					}
				})
			}
			wg.Wait()
			close(counts)
			for n := range counts {
				if n != 1 {
					t.Errorf("a vote from the same device answered votes %d, want 1", n)
				}
			}
			for id, want := range map[string]int{one: 1, many: 50} {
				r, err := e.st.Report(context.Background(), id)
				if err != nil || r.Votes != want {
					t.Errorf("report votes = %d (%v), want %d", r.Votes, err, want)
				}
				n, err := e.st.CountRecords(context.Background(), "votes:"+id)
				if err != nil || n != int64(want) {
					t.Errorf("vote records = %d (%v), want %d", n, err, want)
				}
			}
			// The API shows them, with this device's votes.
			req := httptest.NewRequest(http.MethodGet, "/api/v1/lines/sx-1/open?t="+url.QueryEscape(tok), nil)
			req.Header.Set("X-Device-Id", "same-device")
			rec := e.do(req)
			var open struct {
				Reports []struct {
					ID    string `json:"id"`
					Title string `json:"title"`
					Votes int    `json:"votes"`
					Voted bool   `json:"voted"`
				} `json:"reports"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &open); err != nil || rec.Code != http.StatusOK || len(open.Reports) != 2 {
				t.Fatalf("GET open = %d %s", rec.Code, rec.Body)
			}
			if o := open.Reports[0]; o.ID != many || o.Votes != 50 || o.Voted {
				t.Errorf("open[0] = %+v, want %s (newest) with 50 votes, not voted by same-device", o, many)
			}
			if o := open.Reports[1]; o.ID != one || o.Votes != 1 || !o.Voted {
				t.Errorf("open[1] = %+v, want %s with 1 vote, voted", o, one)
			}
			var ar apiReportPhotos
			_ = json.Unmarshal(e.apiGet("/api/v1/reports/"+many).Body.Bytes(), &ar)
			if ar.Votes != 50 {
				t.Errorf("GET /api/v1/reports/{id} votes = %d, want 50", ar.Votes)
			}
		})
	}
}

func TestVoteRefusals(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	id := e.submitJSON("sx-1", "pump noisy")
	for _, tt := range []struct {
		name, id, token, device string
		want                    int
	}{
		{"other line's token", id, e.signer.LineToken("calc-1"), "d1", http.StatusForbidden},
		{"forged token", id, "forged", "d1", http.StatusForbidden},
		{"unknown report", "01a00000-0000-7000-8000-000000000000", e.signer.LineToken("sx-1"), "d1", http.StatusNotFound},
		{"bad device", id, e.signer.LineToken("sx-1"), "has space", http.StatusBadRequest},
		{"long device", id, e.signer.LineToken("sx-1"), strings.Repeat("a", 65), http.StatusBadRequest},
	} {
		if rec := e.vote(tt.id, tt.token, tt.device); rec.Code != tt.want {
			t.Errorf("vote (%s) = %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/lines/sx-1/open?t=forged", nil)
	if rec := e.do(req); rec.Code != http.StatusForbidden {
		t.Errorf("GET open with a forged token = %d, want 403", rec.Code)
	}
}

// Votes are rate limited per address (429 with Retry-After).
func TestVoteRateLimited(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{SubmitRate: 1, SubmitBurst: 2}, nil)
	id := e.submitJSON("sx-1", "pump noisy")
	tok := e.signer.LineToken("sx-1")
	for i, want := range []int{200, 200, 429} {
		rec := e.vote(id, tok, fmt.Sprintf("dev-%d", i))
		if rec.Code != want {
			t.Fatalf("vote %d = %d %s, want %d", i, rec.Code, rec.Body, want)
		}
		if want == 429 && rec.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	// The no-JS form's post gets a page, not JSON.
	form := url.Values{"token": {tok}, "device_id": {"dev-9"}, "lang": {"en"}}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports/"+id+"/votes", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	rec := e.do(req)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), "Too many") {
		t.Errorf("limited form vote = %d %s %q, want a 429 page", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

// With JavaScript off, the form lists the open reports, each with a plain
// "me too" form; the browser gets a device cookie, and the post comes
// back to the form, counted once however often it is sent.
func TestNoJSVote(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	id := e.submitJSON("sx-1", "Mixer A foams")
	tok := e.signer.LineToken("sx-1")
	req := httptest.NewRequest(http.MethodGet, "/r/sx-1?lang=en&t="+url.QueryEscape(tok), nil)
	req.Header.Set("Accept", "text/html")
	rec := e.do(req)
	page := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(page, "Already reported here") || !strings.Contains(page, "Mixer A foams") ||
		!strings.Contains(page, `action="/api/v1/reports/`+id+`/votes"`) {
		t.Fatalf("form = %d, want the open report with its me-too form; page:\n%s", rec.Code, page)
	}
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ff_device" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.MaxAge < 360*24*3600 {
		t.Fatalf("form cookies = %v, want an HttpOnly ff_device for a year", rec.Result().Cookies())
	}
	for range 2 {
		form := url.Values{"token": {tok}, "lang": {"en"}}
		req = httptest.NewRequest(http.MethodPost, "/api/v1/reports/"+id+"/votes", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		req.AddCookie(cookie)
		rec = e.do(req)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/r/sx-1?") {
			t.Fatalf("form vote = %d Location %q, want 303 back to the form", rec.Code, rec.Header().Get("Location"))
		}
	}
	if r, _ := e.st.Report(context.Background(), id); r.Votes != 1 {
		t.Errorf("votes after two form posts from one browser = %d, want 1", r.Votes)
	}
	req = httptest.NewRequest(http.MethodGet, "/r/sx-1?lang=en&t="+url.QueryEscape(tok), nil)
	req.AddCookie(cookie)
	if page := e.do(req).Body.String(); !strings.Contains(page, "✓ Confirmed") || !strings.Contains(page, "1 confirmed") {
		t.Errorf("form after voting does not show the vote:\n%s", page)
	}
}

// New submissions are limited per line and address: a full bucket at one
// line leaves the others open, and replays are never limited. With Redis
// the buckets are shared by every instance.
func TestSubmitRateLimitPerLine(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			var limiter func(store.Store) handlers.SubmitLimiter
			if be.Name == "redis" {
				limiter = func(st store.Store) handlers.SubmitLimiter {
					return st.(*redisstore.Store).NewRateLimiter("submit", 1, 2)
				}
			}
			cfg := handlers.Config{SubmitRate: 1, SubmitBurst: 2}
			e := newMobileEnv(t, be, cfg, limiter)
			post := func(line, key string) *httptest.ResponseRecorder {
				b, _ := json.Marshal(map[string]string{"line": line, "token": e.signer.LineToken(line), "title": "t " + key})
				req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", key)
				return e.do(req)
			}
			for i, want := range []int{201, 201, 429} {
				if rec := post("sx-1", fmt.Sprint("a", i)); rec.Code != want {
					t.Fatalf("sx-1 submission %d = %d %s, want %d", i, rec.Code, rec.Body, want)
				} else if want == 429 && rec.Header().Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			}
			if rec := post("calc-1", "b0"); rec.Code != 201 {
				t.Errorf("another line's submission = %d, want 201 (buckets are per line)", rec.Code)
			}
			if rec := post("sx-1", "a0"); rec.Code != 200 {
				t.Errorf("replay at a full bucket = %d, want 200", rec.Code)
			}
			if be.Name == "redis" {
				// A second instance on the same Redis shares the bucket.
				lim := e.st.(*redisstore.Store).NewRateLimiter("submit", 1, 2)
				ok, wait, err := lim.Allow(context.Background(), "sx-1|192.0.2.1", testStart)
				if err != nil || ok || wait <= 0 {
					t.Errorf("another instance's limiter Allow = %v, %v, %v; want refused with a wait", ok, wait, err)
				}
			}
		})
	}
}

// One case rule for identifiers: severity=HIGH is accepted at submission
// (stored as high) and in every filter.
func TestSeverityCaseRule(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	b, _ := json.Marshal(map[string]string{"line": "SX-1", "token": e.signer.LineToken("sx-1"), "title": "loud", "severity": "HIGH", "category": "Equipment"})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if rec := e.do(req); rec.Code != http.StatusCreated {
		t.Fatalf("submit severity=HIGH = %d %s, want 201", rec.Code, rec.Body)
	}
	for _, q := range []string{"severity=HIGH", "severity=high", "min_severity=HIGH", "line=SX-1&severity=HIGH", "category=EQUIPMENT"} {
		rec := e.apiGet("/api/v1/reports?" + q)
		var page struct {
			Reports []struct {
				Severity string `json:"severity"`
			} `json:"reports"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || rec.Code != http.StatusOK || len(page.Reports) != 1 || page.Reports[0].Severity != "high" {
			t.Errorf("GET ?%s = %d %s, want the one report, severity high", q, rec.Code, rec.Body)
		}
	}
	if rec := e.apiGet("/api/v1/reports?severity=HUGE"); rec.Code != http.StatusBadRequest {
		t.Errorf("GET ?severity=HUGE = %d, want 400", rec.Code)
	}
}

// Text hygiene on every path: JSON, form-encoded and multipart submissions
// store no control or bidi override characters.
func TestTextHygieneEveryPath(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	dirty := "pump\x00 \u202Eleaks\a"
	body := "first\r\nsecond\x1b[0m\u2066"
	tok := e.signer.LineToken("sx-1")
	var ids []string
	// JSON (escaped, so the slow decoder path), form-encoded, multipart.
	jb, _ := json.Marshal(map[string]string{"line": "sx-1", "token": tok, "title": dirty, "body": body})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", bytes.NewReader(jb))
	req.Header.Set("Content-Type", "application/json")
	recs := []*httptest.ResponseRecorder{e.do(req)}
	form := url.Values{"line": {"sx-1"}, "token": {tok}, "title": {dirty}, "body": {body}}
	req = httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	recs = append(recs, e.do(req), e.submitPhotos("", map[string]string{"title": dirty, "body": body}))
	for i, rec := range recs {
		var sub struct{ ID string }
		if err := json.Unmarshal(rec.Body.Bytes(), &sub); rec.Code != http.StatusCreated || err != nil {
			t.Fatalf("path %d = %d %s", i, rec.Code, rec.Body)
		}
		ids = append(ids, sub.ID)
	}
	for i, id := range ids {
		r, err := e.st.Report(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Title != "pump leaks" || r.Body != "first\nsecond[0m" {
			t.Errorf("path %d stored title %q body %q, want %q %q", i, r.Title, r.Body, "pump leaks", "first\nsecond[0m")
		}
	}
}

// Stations show in both languages on the form; the report stores the id.
func TestFormStationsBilingual(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	req := httptest.NewRequest(http.MethodGet, "/r/sx-1?lang=en&t="+url.QueryEscape(e.signer.LineToken("sx-1")), nil)
	page := e.do(req).Body.String()
	if !strings.Contains(page, `<option value="混合澄清槽 A">Mixer-settler A / 混合澄清槽 A</option>`) {
		t.Errorf("form (en) lacks the bilingual station option:\n%s", page)
	}
}

// A forged or stale token gets a 403 page in the reader's language that
// says to scan the sticker again.
func TestBadTokenPage(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	for lang, want := range map[string]string{"zh": "请重新扫描产线上张贴的二维码贴纸", "en": "scan the QR sticker at the line again"} {
		req := httptest.NewRequest(http.MethodGet, "/r/sx-1?t=stale&lang="+lang, nil)
		req.Header.Set("Accept", "text/html")
		rec := e.do(req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("GET form with a stale token (%s) = %d %q, want a 403 page saying %q", lang, rec.Code, rec.Body, want)
		}
	}
}
