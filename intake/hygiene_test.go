package intake

import "testing"

func TestNormalizeCleansText(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want Input
	}{
		{"NUL and BEL in the title", Input{Title: "pump\x00 leaks\a"}, Input{Title: "pump leaks"}},
		{"right-to-left override", Input{Title: "file \u202Etxt.exe"}, Input{Title: "file txt.exe"}},
		{"every bidi control", Input{Reporter: "a\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069b"}, Input{Reporter: "ab"}},
		{"C1 control and DEL", Input{Contact: "138\u0085 0000\x7f1234"}, Input{Contact: "138 00001234"}},
		{"escape sequence", Input{Station: "\x1b[31mA\x1b[0m"}, Input{Station: "[31mA[0m"}},
		{"body keeps newline and tab", Input{Body: "line 1\n\tline 2\r\nline 3\rline 4\x00"}, Input{Body: "line 1\n\tline 2\nline 3\nline 4"}},
		{"title newline becomes a space", Input{Title: "two\nlines\tand tab"}, Input{Title: "two lines and tab"}},
		{"marks and Chinese stay", Input{Title: "电解槽 \u200F3 温度"}, Input{Title: "电解槽 \u200F3 温度"}},
		{"invalid UTF-8 kept for Validate", Input{Title: "bad \xff byte"}, Input{Title: "bad \xff byte"}},
		{"severity upper case", Input{Severity: "HIGH"}, Input{Severity: "high"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			want := Normalize(tt.want) // the defaults (severity, category) filled in alike
			if got != want {
				t.Errorf("Normalize(%+q) = %+q, want %+q", tt.in, got, want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize is not idempotent: %+q then %+q", got, again)
			}
		})
	}
}

func BenchmarkCleanTextPlain(b *testing.B) {
	s := "Pump P-301 seal leaking at the mixer-settler, about 2 L/h since 14:00 电解槽温度偏高"
	for b.Loop() {
		_ = cleanText(s, true)
	}
}
