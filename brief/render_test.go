package brief_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

// pdfText runs pdftotext on pdf (skipped without poppler-utils, fatal in
// CI), with extra arguments such as a crop box.
func pdfText(t *testing.T, pdf []byte, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if testutil.InCI() {
			t.Fatalf("pdftotext not found and CI=true: install poppler-utils")
		}
		t.Skip("pdftotext not found: install poppler-utils to run this test")
	}
	path := filepath.Join(t.TempDir(), "brief.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append(append([]string{"-enc", "UTF-8"}, args...), path, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

// longChinese is a paragraph of a few thousand characters, the kind a
// technician writes when a problem has gone on for weeks.
func longChinese() string {
	var b strings.Builder
	parts := []string{
		"第三级混合室出口发白，澄清室界面看不清，分相时间由九十秒延长到两百四十秒左右。",
		"我们把搅拌转速从二百八十转降到二百五十转，情况稍有好转，但夜班又反复了。",
		"化验室报告料液含硅偏高，怀疑上游浸出工序的絮凝剂加量不稳定，请工艺组确认。",
		"另外皂化度在百分之三十一到四十二之间波动，与乳化加重的时间基本吻合。",
	}
	for i := 0; b.Len() < 9000; i++ {
		b.WriteString(parts[i%len(parts)])
	}
	return b.String()
}

// consecutive is a hostile run of consecutive code points (gofpdf's width
// table is super-linear in such runs).
func consecutive(from rune, n int) string {
	rs := make([]rune, n)
	for i := range rs {
		rs[i] = from + rune(i)
	}
	return string(rs)
}

// TestTextFidelity renders a brief of reports with long Chinese
// paragraphs, mixed Chinese and English, emoji, control characters and a
// run of thousands of consecutive ideographs, and checks that pdftotext
// gives back every character of every title and body the brief shows,
// except those drawn as the placeholder.
func TestTextFidelity(t *testing.T) {
	st := backends.Bolt(t)
	ctx := context.Background()
	reports := []struct {
		title, body string
		sev         store.Severity
		role        store.Role
	}{
		{"萃取槽第3级持续乳化，分相时间延长", longChinese(), store.SeverityCritical, store.RoleOperator},
		{"Pump P-101 leaking oil / 泵漏油 again", "Mixed text: 泵的机械密封漏油 about 2 L/h; 已更换垫片 but it came back 😡🔥 after 3 hours.", store.SeverityHigh, store.RoleResearcher},
		{"控制字符\x07测试\u202e反向 emoji 👍🏽 标题", "Body with a bell\x07, a NUL-free escape \x1b[31m, tabs\tand\r\nCRLF lines; 中文夹杂English词语，还有全角标点：“引号”（括号）。", store.SeverityCritical, store.RoleEngineer},
		{"长串连续汉字", consecutive(0x4E00, 4000), store.SeverityMedium, store.RoleResearcher},
		{"Kiln shell hot spot at 6 m, IR reads 520 °C", strings.Repeat("A long English sentence about the rotary kiln refractory that keeps going. ", 40), store.SeverityCritical, store.RoleResearcher},
	}
	for i, r := range reports {
		sub := storetest.MakeSubmission("fidelity-"+string(rune('a'+i)), day(1, 8+i), func(rep *store.Report) {
			rep.Title, rep.Body, rep.Severity, rep.Role, rep.Team = r.title, r.body, r.sev, r.role, "separation"
		})
		if _, _, err := st.Submit(ctx, sub); err != nil {
			t.Fatalf("Submit(%q) = %v", r.title, err)
		}
	}
	m := newMaker(t, st, day(7, 8))
	for _, lang := range i18n.All() {
		t.Run(lang.String(), func(t *testing.T) {
			b, err := m.Make(ctx, brief.Request{Team: "separation", From: day(0, 0), To: day(7, 0), Lang: lang})
			if err != nil {
				t.Fatalf("Make = %v", err)
			}
			if !bytes.HasPrefix(b.PDF, []byte("%PDF-")) {
				t.Fatalf("PDF starts %q, want %%PDF-", b.PDF[:min(len(b.PDF), 16)])
			}
			// The page body only (13 mm to 279 mm from the top, in points):
			// the running head and the footer would interrupt a paragraph
			// that continues on the next page.
			text := pdfText(t, b.PDF, "-x", "0", "-y", "37", "-W", "595", "-H", "754")
			full := pdfText(t, b.PDF)
			if want := fmt.Sprintf(i18n.Brief(lang, "page"), 1, strings.Count(full, "\f")); !strings.Contains(squeeze(full, 0), squeeze(want, 0)) {
				t.Errorf("no footer %q in the text", want)
			}
			fonts, err := pdfdoc.DefaultFonts()
			if err != nil {
				t.Fatal(err)
			}
			got := squeeze(text, fonts.Placeholder())
			shown := 0
			for _, r := range reports {
				for _, s := range []string{r.title, r.body} {
					want := squeeze(fonts.Sanitize(s), fonts.Placeholder())
					if !strings.Contains(got, want) {
						t.Errorf("pdftotext output lacks %q (from %.40q…); first difference after %q",
							firstMissing(got, want), s, commonPrefix(got, want))
					}
					shown++
				}
			}
			if !strings.Contains(got, squeeze(i18n.Brief(lang, "section.appendix"), 0)) {
				t.Errorf("no appendix heading %q in the text", i18n.Brief(lang, "section.appendix"))
			}
			t.Logf("%d texts checked in %d bytes of PDF", shown, len(b.PDF))
		})
	}
}

// squeeze drops white space and the placeholder: pdftotext puts line
// breaks where the layout wrapped, and a placeholder stands for runes that
// are not in the text at all.
func squeeze(s string, placeholder rune) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == placeholder {
			return -1
		}
		return r
	}, s)
}

// firstMissing is the shortest prefix of want that got does not contain.
func firstMissing(got, want string) string {
	rs := []rune(want)
	for n := 1; n <= len(rs); n++ {
		if !strings.Contains(got, string(rs[:n])) {
			return string(rs[max(0, n-10):n])
		}
	}
	return ""
}

// commonPrefix is the longest prefix of want found in got, shortened.
func commonPrefix(got, want string) string {
	rs := []rune(want)
	best := 0
	for n := 1; n <= len(rs); n++ {
		if !strings.Contains(got, string(rs[:n])) {
			break
		}
		best = n
	}
	return string(rs[max(0, best-20):best])
}

// thumbs serves generated thumbnails and counts what was asked for.
type thumbs struct{ asked []string }

func (th *thumbs) Thumbnail(_ context.Context, reportID, photoID string) (image.Image, error) {
	th.asked = append(th.asked, reportID+"/"+photoID)
	if photoID == "gone" {
		return nil, store.ErrNotFound
	}
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y * 2), B: 128, A: 255})
		}
	}
	return img, nil
}

// TestThumbnails checks that a critical report's photos are drawn from the
// Thumbnails service (one missing photo skipped, one not yet re-encoded
// never asked for) and a report without photos asks for none.
func TestThumbnails(t *testing.T) {
	st := backends.Bolt(t)
	ctx := context.Background()
	var ids []string
	for i, photos := range [][]store.Photo{{{ID: "a", Width: 1600, Height: 1200}, {ID: "pending", State: store.PhotoPending}, {ID: "gone"}}, nil} {
		sub := storetest.MakeSubmission(fmt.Sprintf("thumb-%d", i), day(2, 9+i), func(r *store.Report) {
			r.Severity, r.Photos, r.Team = store.SeverityCritical, photos, "separation"
		})
		r, _, err := st.Submit(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	th := &thumbs{}
	m, err := brief.New(brief.Deps{Reports: st, Records: st, Plant: plant.Sample(), Thumbnails: th, TimeZone: shanghai,
		Now: func() time.Time { return day(7, 8) }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Make(ctx, brief.Request{From: day(0, 0), To: day(7, 0)})
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	want := []string{ids[0] + "/a", ids[0] + "/gone"}
	if !slices.Equal(th.asked, want) {
		t.Errorf("thumbnails asked for %v, want %v", th.asked, want)
	}
	if n := bytes.Count(b.PDF, []byte("/Subtype /Image")); n != 1 {
		t.Errorf("PDF has %d image objects, want 1 (the one thumbnail, drawn once)", n)
	}
}

// TestConcurrentBriefs makes briefs in parallel from one Maker (run with
// -race): each has its own document, and all come out the same.
func TestConcurrentBriefs(t *testing.T) {
	st := backends.Bolt(t)
	loadWeek(t, st)
	m := newMaker(t, st, day(7, 8))
	req := brief.Request{From: day(0, 0), To: day(7, 0), Lang: i18n.En}
	const n = 4
	pdfs := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b, err := m.Make(context.Background(), req)
			if err != nil {
				errs[i] = err
				return
			}
			pdfs[i] = b.PDF
		})
	}
	wg.Wait()
	texts := make([]string, n)
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Make #%d = %v", i, errs[i])
		}
		// The page bodies: the footer names each brief's own id.
		texts[i] = pdfText(t, pdfs[i], "-x", "0", "-y", "37", "-W", "595", "-H", "754")
		if texts[i] != texts[0] {
			t.Errorf("brief #%d's page bodies differ from brief #0's", i)
		}
	}
	if list, _, err := m.List(context.Background(), "", 10); err != nil || len(list) != n {
		t.Errorf("List = %d briefs, %v; want %d kept", len(list), err, n)
	}
}
