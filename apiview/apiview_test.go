package apiview

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/store"
)

// TestOfShowsOnlyReencodedPhotos: the API and the exports list a report's
// re-encoded photos with their URLs, never one still waiting for (or
// failed in) its photo job, never the receipt, and no null lists.
func TestOfShowsOnlyReencodedPhotos(t *testing.T) {
	r := store.Report{ID: "r1", Receipt: "secret-receipt", Photos: []store.Photo{
		{ID: "a", State: store.PhotoReady, Width: 1600, Height: 1200},
		{ID: "b", State: store.PhotoPending},
		{ID: "c", State: store.PhotoFailed},
	}}
	v := Of(r)
	if len(v.Photos) != 1 || v.Photos[0].ID != "a" || v.Photos[0].URL != "/api/v1/reports/r1/photos/a" ||
		v.Photos[0].ThumbURL != "/api/v1/reports/r1/photos/a/thumb" || v.Photos[0].Width != 1600 {
		t.Fatalf("photos = %+v; want only a, with its URLs", v.Photos)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret-receipt") || !strings.Contains(string(b), `"history":[]`) {
		t.Fatalf("JSON = %s; want no receipt and an empty history list", b)
	}
	if got := Of(store.Report{ID: "r2"}); got.Photos == nil || got.History == nil {
		t.Fatalf("empty report: photos %v history %v; want empty lists, not null", got.Photos, got.History)
	}
}
