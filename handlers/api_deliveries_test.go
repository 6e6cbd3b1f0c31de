package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

// deliveriesServer is a server with a delivery log over a real bolt store.
func deliveriesServer(t *testing.T) (*handlers.Server, *delivery.Log) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "floorfeed.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sg, _ := signing.New([]byte("handlers-test-secret-0123456789"))
	now := func() time.Time { return testStart }
	tokens, _ := auth.New(auth.Deps{Tokens: st, Now: now})
	p := plant.Sample()
	log := delivery.NewLog(st, now)
	srv, err := handlers.New(handlers.Deps{
		Intake: intake.New(intake.Deps{Store: st, Plant: p, Signer: sg, Now: now}), Reports: st, Tokens: tokens,
		Ready: st.Ping, Plant: p, Signer: sg, Now: now, Deliveries: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(testAPIToken))
	if err := st.CreateToken(context.Background(), store.APIToken{ID: "tok-1", Name: "ci", Hash: hex.EncodeToString(sum[:]), CreatedAt: testStart}); err != nil {
		t.Fatal(err)
	}
	return srv, log
}

func TestDeliveriesAPI(t *testing.T) {
	srv, log := deliveriesServer(t)
	ctx := context.Background()
	for i, team := range []string{"separation", "magnets", "separation"} {
		slot := testStart.AddDate(0, 0, 7*i)
		if _, err := log.Update(ctx, delivery.BriefDeliveryKey(team, slot), func(d *delivery.Delivery) {
			d.Kind, d.Channel, d.Team, d.Slot, d.Result = delivery.KindBrief, delivery.ChannelEmail, team, &slot, delivery.ResultSent
			d.Recipients, d.MessageID, d.Attempts = []string{team + "@example.com"}, "<m"+team+"@x>", 1
		}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string, auth bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+testAPIToken)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/api/v1/deliveries", false); rec.Code != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/deliveries without a token = %d, want 401", rec.Code)
	}
	type page struct {
		Deliveries []map[string]any `json:"deliveries"`
		NextCursor string           `json:"next_cursor"`
	}
	decode := func(rec *httptest.ResponseRecorder) page {
		t.Helper()
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var p page
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := decode(get("/api/v1/deliveries", true))
	if len(all.Deliveries) != 3 || all.Deliveries[0]["slot"] != testStart.AddDate(0, 0, 14).Format(time.RFC3339) ||
		all.Deliveries[0]["team"] != "separation" || all.Deliveries[0]["message_id"] != "<mseparation@x>" || all.Deliveries[0]["result"] != "sent" {
		t.Fatalf("deliveries = %+v, want 3, newest first, with team, result and message id", all.Deliveries)
	}
	first := decode(get("/api/v1/deliveries?team=separation&limit=1", true))
	if len(first.Deliveries) != 1 || first.NextCursor == "" {
		t.Fatalf("page 1 = %+v", first)
	}
	second := decode(get("/api/v1/deliveries?team=separation&limit=1&cursor="+first.NextCursor, true))
	if len(second.Deliveries) != 1 || second.Deliveries[0]["slot"] != testStart.Format(time.RFC3339) {
		t.Fatalf("page 2 = %+v, want the older separation brief", second)
	}
	for _, bad := range []string{"?team=nope", "?kind=fax", "?limit=0", "?limit=x"} {
		if rec := get("/api/v1/deliveries"+bad, true); rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", bad, rec.Code)
		}
	}
}
