package pdfdoc

import "testing"

// TestSanitizeSpellsMissingSymbols: ℃, which neither embedded font has and
// which plant reports use all the time, is drawn as °C, not as a box.
func TestSanitizeSpellsMissingSymbols(t *testing.T) {
	fs, err := DefaultFonts()
	if err != nil {
		t.Fatal(err)
	}
	if fs.drawable('℃') {
		t.Skip("the font set draws ℃ itself")
	}
	if got := fs.Sanitize("炉温 850℃ 偏高"); got != "炉温 850°C 偏高" {
		t.Fatalf("Sanitize = %q, want ℃ spelled °C", got)
	}
}
