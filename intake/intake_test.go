package intake_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
)

var testNow = time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)

func mustSigner(tb testing.TB) *signing.Signer {
	tb.Helper()
	s, err := signing.New([]byte("intake-test-secret-0123456789"))
	if err != nil {
		tb.Fatalf("signing.New: %v", err)
	}
	return s
}

type fixture struct {
	svc    *intake.Service
	store  store.Store
	signer *signing.Signer
	plant  *plant.Plant
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	st := backends.Bolt(t)
	sg := mustSigner(t)
	p := plant.Sample()
	svc := intake.New(intake.Deps{Store: st, Plant: p, Signer: sg, Now: func() time.Time { return testNow }})
	return fixture{svc: svc, store: st, signer: sg, plant: p}
}

// validInput is a report that passes every check.
func (f fixture) validInput() intake.Input {
	return intake.Input{
		Line: "sx-1", Token: f.signer.LineToken("sx-1"), Category: "quality", Severity: "high",
		Title: "萃取槽分相慢", Body: "B 槽从二班开始分相慢。", Station: "混合澄清槽 B",
		Role: "operator", Reporter: "王工", Contact: "138 0000 0000", Lang: "zh-CN",
	}
}

// assertNothingStored fails if any report or job exists.
func assertNothingStored(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	page, err := st.FindReports(ctx, store.Filter{})
	if err != nil {
		t.Fatalf("FindReports: %v", err)
	}
	if len(page.Reports) != 0 {
		t.Errorf("FindReports after a rejected submission = %d reports, want 0", len(page.Reports))
	}
	qs, err := st.QueueStats(ctx, store.QueueReport)
	if err != nil {
		t.Fatalf("QueueStats: %v", err)
	}
	if qs != (store.QueueStats{}) {
		t.Errorf("QueueStats after a rejected submission = %+v, want all zero", qs)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   intake.Input
		want intake.Input
	}{
		{
			name: "defaults",
			in:   intake.Input{Line: "sx-1", Title: "x"},
			want: intake.Input{Line: "sx-1", Title: "x", Severity: "medium", Category: "other"},
		},
		{
			name: "trims and lower-cases identifiers",
			in: intake.Input{
				Line: "  SX-1 ", Token: " tok ", Category: " Quality", Severity: "HIGH ", Title: "\t标题 ",
				Body: " a\r\nb \n", Station: " 皂化 ", Role: " Engineer ", Reporter: " 李 ", Contact: " c ", Lang: " EN-us ",
			},
			want: intake.Input{
				Line: "sx-1", Token: "tok", Category: "quality", Severity: "high", Title: "标题",
				Body: "a\nb", Station: "皂化", Role: "engineer", Reporter: "李", Contact: "c", Lang: "en",
			},
		},
		{
			name: "role may stay empty",
			in:   intake.Input{Role: "  "},
			want: intake.Input{Severity: "medium", Category: "other"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := intake.Normalize(tc.in)
			if got != tc.want {
				t.Errorf("Normalize(%+v)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
			if again := intake.Normalize(got); again != got {
				t.Errorf("Normalize(Normalize(x)) = %+v, want it unchanged %+v", again, got)
			}
		})
	}
}

func TestNormalizeLang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"zh", "zh"},
		{"zh-CN", "zh"},
		{"zh_Hans_CN", "zh"},
		{"ZH-tw", "zh"},
		{"en", "en"},
		{"en-GB", "en"},
		{" de-AT ", "de"},
	}
	for _, tc := range tests {
		if got := intake.NormalizeLang(tc.in); got != tc.want {
			t.Errorf("NormalizeLang(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"1", "x", "中文", "zh1-CN", "toolongtag"} {
		if got := intake.NormalizeLang(bad); got == "zh" || got == "en" || got == strings.ToLower(bad) {
			t.Errorf("NormalizeLang(%q) = %q, want the invalid marker", bad, got)
		}
	}
}

func TestSubmitRejects(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(f fixture, in *intake.Input, m *intake.Meta)
		wantFields map[string]string // nil: want ErrBadToken
	}{
		{"missing title", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Title = "  " },
			map[string]string{"title": store.CodeRequired}},
		{"missing line", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Line = "" },
			map[string]string{"line": store.CodeRequired}},
		{"unknown line, checked before the token", func(_ fixture, in *intake.Input, _ *intake.Meta) {
			in.Line, in.Token = "nope-9", "forged"
		}, map[string]string{"line": store.CodeUnknown}},
		{"unknown line and empty title", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Line, in.Title = "nope-9", "" },
			map[string]string{"line": store.CodeUnknown, "title": store.CodeRequired}},
		{"title too long", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Title = strings.Repeat("长", store.MaxTitle+1) },
			map[string]string{"title": store.CodeTooLong}},
		{"body too long", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Body = strings.Repeat("b", store.MaxBody+1) },
			map[string]string{"body": store.CodeTooLong}},
		{"unknown category", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Category = "gossip" },
			map[string]string{"category": store.CodeUnknown}},
		{"bad severity", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Severity = "urgent" },
			map[string]string{"severity": store.CodeInvalid}},
		{"bad role", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Role = "boss" },
			map[string]string{"role": store.CodeInvalid}},
		{"bad lang", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Lang = "12" },
			map[string]string{"lang": store.CodeInvalid}},
		{"invalid utf-8 title", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Title = "ok\xffno" },
			map[string]string{"title": store.CodeInvalid}},
		{"idempotency key too long", func(_ fixture, _ *intake.Input, m *intake.Meta) {
			m.IdempotencyKey = strings.Repeat("k", store.MaxIdemKey+1)
		}, map[string]string{"idempotency_key": store.CodeTooLong}},
		{"bad token", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Token = "forged" }, nil},
		{"missing token", func(_ fixture, in *intake.Input, _ *intake.Meta) { in.Token = "" }, nil},
		{"token of another line", func(f fixture, in *intake.Input, _ *intake.Meta) { in.Token = f.signer.LineToken("calc-1") }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			in, m := f.validInput(), intake.Meta{IdempotencyKey: "k-" + tc.name}
			tc.mod(f, &in, &m)
			_, _, err := f.svc.Submit(context.Background(), in, m)
			if tc.wantFields == nil {
				if !errors.Is(err, intake.ErrBadToken) {
					t.Errorf("Submit(%s) error = %v, want ErrBadToken", tc.name, err)
				}
			} else {
				var ve *store.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Submit(%s) error = %v, want *store.ValidationError %v", tc.name, err, tc.wantFields)
				}
				if !maps.Equal(ve.Fields, tc.wantFields) {
					t.Errorf("Submit(%s) fields = %v, want %v", tc.name, ve.Fields, tc.wantFields)
				}
			}
			assertNothingStored(t, f.store)
		})
	}
}

func TestSubmitCategoryRequiredWithoutDefault(t *testing.T) {
	f := newFixture(t)
	p := *f.plant
	p.Categories = []plant.Category{{ID: "quality"}}
	svc := intake.New(intake.Deps{Store: f.store, Plant: &p, Signer: f.signer})
	in := f.validInput()
	in.Category = ""
	_, _, err := svc.Submit(context.Background(), in, intake.Meta{})
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Fields["category"] != store.CodeRequired {
		t.Fatalf("Submit(no category, plant without %q) error = %v, want category %s", intake.DefaultCategory, err, store.CodeRequired)
	}
}

func TestSubmitStoresReportAndJob(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.validInput()
	got, created, err := f.svc.Submit(ctx, in, intake.Meta{IdempotencyKey: "key-1"})
	if err != nil || !created {
		t.Fatalf("Submit(valid) = created %v, err %v; want created", created, err)
	}

	want := store.Report{
		ID: got.ID, Code: got.Code, Receipt: f.signer.Receipt(got.ID),
		Line: "sx-1", Category: "quality", Severity: store.SeverityHigh,
		Title: in.Title, Body: in.Body, Station: in.Station, Role: store.RoleOperator,
		Reporter: in.Reporter, Contact: in.Contact, Lang: "zh",
		Status: store.StatusNew, Team: "separation", CreatedAt: testNow, UpdatedAt: testNow,
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"Receipt", got.Receipt, want.Receipt},
		{"Line", got.Line, want.Line},
		{"Category", got.Category, want.Category},
		{"Severity", got.Severity, want.Severity},
		{"Lang", got.Lang, want.Lang},
		{"Status", got.Status, want.Status},
		{"Team", got.Team, want.Team},
		{"CreatedAt", got.CreatedAt, want.CreatedAt},
		{"UpdatedAt", got.UpdatedAt, want.UpdatedAt},
		{"Contact", got.Contact, want.Contact},
		{"len(History)", len(got.History), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Submit(valid).%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if len(got.Code) != 9 || got.Code[4] != '-' {
		t.Errorf("Submit(valid).Code = %q, want a code like K7QM-X2PD", got.Code)
	}
	if len(got.History) == 1 {
		ev := got.History[0]
		wantEv := store.Event{At: testNow, By: "reporter", Action: store.ActionCreated, To: string(store.StatusNew)}
		if !ev.At.Equal(wantEv.At) || ev.By != wantEv.By || ev.Action != wantEv.Action || ev.To != wantEv.To {
			t.Errorf("Submit(valid).History[0] = %+v, want %+v", ev, wantEv)
		}
	}
	if !strings.HasPrefix(got.ID, store.IDFloor(testNow)[:13]) {
		t.Errorf("Submit(valid).ID = %s, want a UUID v7 for %v (prefix %s)", got.ID, testNow, store.IDFloor(testNow)[:13])
	}

	read, err := f.store.Report(ctx, got.ID)
	if err != nil || read.Receipt != got.Receipt {
		t.Errorf("store.Report(%s) = %+v, %v; want the submitted report", got.ID, read, err)
	}
	jobs, err := f.store.Claim(ctx, store.QueueReport, "test", 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Claim after Submit = %v, %v; want one job", jobs, err)
	}
	if jobs[0].Type != store.JobProcessReport || jobs[0].ReportID != got.ID {
		t.Errorf("Claim after Submit = %+v, want a %s job for report %s", jobs[0], store.JobProcessReport, got.ID)
	}

	// A replay with the same key and (differently spelled but equal) input.
	again := in
	again.Title = "  " + in.Title + "  "
	again.Lang = "zh"
	rep, created, err := f.svc.Submit(ctx, again, intake.Meta{IdempotencyKey: "key-1"})
	if err != nil || created || rep.ID != got.ID {
		t.Errorf("Submit(replay) = id %s, created %v, err %v; want id %s, created false", rep.ID, created, err, got.ID)
	}

	// The same key with another payload.
	other := in
	other.Title = "something else"
	if _, _, err := f.svc.Submit(ctx, other, intake.Meta{IdempotencyKey: "key-1"}); !errors.Is(err, store.ErrIdempotencyMismatch) {
		t.Errorf("Submit(same key, other title) error = %v, want ErrIdempotencyMismatch", err)
	}
}

func TestSubmitWithoutKeyDoesNotDeduplicate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, _, err := f.svc.Submit(ctx, f.validInput(), intake.Meta{})
	if err != nil {
		t.Fatalf("Submit(no key) #1: %v", err)
	}
	b, created, err := f.svc.Submit(ctx, f.validInput(), intake.Meta{})
	if err != nil || !created || a.ID == b.ID {
		t.Errorf("Submit(no key) #2 = id %s created %v err %v; want a second, new report (first %s)", b.ID, created, err, a.ID)
	}
}

func TestSubmitSkipTokenAndExplicitTime(t *testing.T) {
	f := newFixture(t)
	in := f.validInput()
	in.Token = ""
	at := time.Date(2026, 10, 1, 3, 0, 0, 0, time.FixedZone("CST", 8*3600))
	r, created, err := f.svc.Submit(context.Background(), in, intake.Meta{SkipToken: true, At: at})
	if err != nil || !created {
		t.Fatalf("Submit(SkipToken, no token) = created %v, err %v; want created", created, err)
	}
	if !r.CreatedAt.Equal(at) || r.CreatedAt.Location() != time.UTC {
		t.Errorf("Submit(At %v).CreatedAt = %v, want the same instant in UTC", at, r.CreatedAt)
	}
}

func TestPayloadHash(t *testing.T) {
	f := newFixture(t)
	base := f.validInput()
	h := intake.PayloadHash(base)
	if len(h) != 64 {
		t.Fatalf("PayloadHash = %q, want 64 hex digits", h)
	}
	same := []func(*intake.Input){
		func(in *intake.Input) { in.Token = "other-token" },
		func(in *intake.Input) { in.Title = " " + in.Title + "\n" },
		func(in *intake.Input) { in.Lang = "zh-TW" },
		func(in *intake.Input) { in.Severity = "HIGH" },
	}
	for i, mod := range same {
		in := base
		mod(&in)
		if got := intake.PayloadHash(in); got != h {
			t.Errorf("PayloadHash(equal input #%d %+v) = %s, want %s", i, in, got, h)
		}
	}
	differ := []func(*intake.Input){
		func(in *intake.Input) { in.Title += "!" },
		func(in *intake.Input) { in.Body, in.Station = in.Body+in.Station, "" }, // same bytes, other boundary
		func(in *intake.Input) { in.Contact = "" },
		func(in *intake.Input) { in.Line = "calc-1" },
	}
	for i, mod := range differ {
		in := base
		mod(&in)
		if got := intake.PayloadHash(in); got == h {
			t.Errorf("PayloadHash(different input #%d) = %s, the same as the original's", i, got)
		}
	}
}
