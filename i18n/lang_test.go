package i18n

import (
	"encoding/json"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"zh", Zh, true},
		{"zh-CN", Zh, true},
		{"zh_Hans", Zh, true},
		{"zh-Hant-TW", Zh, true},
		{"zh-TW", Zh, true},
		{" ZH ", Zh, true},
		{"en", En, true},
		{"en-US", En, true},
		{"EN_gb", En, true},
		{"", Default, false},
		{"de", Default, false},
		{"*", Default, false},
		{"zhx", Default, false},
		{"eng", Default, false},
	}
	for _, tc := range tests {
		got, ok := Parse(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLangMethods(t *testing.T) {
	var zero Lang
	if zero != Zh || Default != Zh {
		t.Errorf("zero Lang = %v, Default = %v; want zh for both", zero, Default)
	}
	tests := []struct {
		l               Lang
		str, tag, other string
	}{
		{Zh, "zh", "zh-CN", "en"},
		{En, "en", "en", "zh"},
	}
	for _, tc := range tests {
		if tc.l.String() != tc.str || tc.l.Tag() != tc.tag || tc.l.Other().String() != tc.other {
			t.Errorf("%v: String, Tag, Other = %q, %q, %q; want %q, %q, %q",
				tc.l, tc.l.String(), tc.l.Tag(), tc.l.Other(), tc.str, tc.tag, tc.other)
		}
	}
}

func TestLangJSON(t *testing.T) {
	b, err := json.Marshal(map[string]Lang{"a": Zh, "b": En})
	if err != nil || string(b) != `{"a":"zh","b":"en"}` {
		t.Errorf("json.Marshal(langs) = %s, %v; want {\"a\":\"zh\",\"b\":\"en\"}", b, err)
	}
	var v struct{ L Lang }
	if err := json.Unmarshal([]byte(`{"L":"en-US"}`), &v); err != nil || v.L != En {
		t.Errorf("json.Unmarshal(en-US) = %v, %v; want en", v.L, err)
	}
	if err := json.Unmarshal([]byte(`{"L":"fr"}`), &v); err == nil {
		t.Errorf("json.Unmarshal(fr) succeeded; want an error")
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	tests := []struct {
		header string
		want   Lang
		ok     bool
	}{
		{"", Default, false},
		{"*", Default, false},
		{"de, fr", Default, false},
		{"zh-CN,zh;q=0.9,en;q=0.8", Zh, true},
		{"en-US,en;q=0.9,zh-CN;q=0.8", En, true},
		{"fr, en;q=0.3, zh;q=0.7", Zh, true},
		{"zh;q=0, en;q=0.1", En, true},
		{"zh;q=0, en;q=0", Default, false},
		{"zh-Hant-TW", Zh, true},
		{"zh-Hans", Zh, true},
		{"en;q=0.5, zh;q=0.5", En, true},      // a tie: the first listed
		{"en;q=abc, zh;q=0.2", Zh, true},      // a malformed q ignores the range
		{"en;q=2, zh;q=0.2", Zh, true},        // so does one above 1
		{"en ; Q = 0.9 , zh;q=0.8", En, true}, // spaces, upper-case Q
		{"en-US;level=1;q=0.4, zh;q=0.3", En, true},
	}
	for _, tc := range tests {
		got, ok := FromAcceptLanguage(tc.header)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FromAcceptLanguage(%q) = %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		explicit, header string
		want             Lang
	}{
		{"", "", ClientFallback},
		{"", "de-DE", ClientFallback},
		{"", "*", ClientFallback},
		{"", "zh-CN,zh;q=0.9", Zh},
		{"en", "zh-CN,zh;q=0.9", En},
		{"zh-TW", "en-US", Zh},
		{"de", "zh-CN", Zh}, // an explicit choice we cannot honour falls through
		{"de", "de-DE", ClientFallback},
	}
	for _, tc := range tests {
		if got := Negotiate(tc.explicit, tc.header); got != tc.want {
			t.Errorf("Negotiate(%q, %q) = %v, want %v", tc.explicit, tc.header, got, tc.want)
		}
	}
}
