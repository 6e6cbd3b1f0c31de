package photo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	jpg := mustJPEG(t, photoLike(64, 48), 80)
	pngb := mustPNG(t, photoLike(30, 20))
	tests := []struct {
		name     string
		b        []byte
		wantCode string
		want     Info
	}{
		{"jpeg", jpg, "", Info{JPEG, 64, 48}},
		{"png", pngb, "", Info{PNG, 30, 20}},
		{"empty", nil, CodeEmptyFile, Info{}},
		{"heic", heicHeader(), CodeHEIC, Info{}},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), CodeType, Info{}},
		{"text", []byte("hello, this is not an image"), CodeType, Info{}},
		{"jpeg magic, garbage after", []byte("\xff\xd8\xff\xe0 garbage"), CodeCorrupt, Info{}},
		{"png bomb 30000x30000", pngHeaderOnly(30000, 30000), CodeTooBig, Info{}},
		{"png 16-bit 40 MP", append(pngHeaderOnly(8000, 5000)[:8+8+8], 16, 6, 0, 0, 0), CodeCorrupt, Info{}}, // bad CRC: corrupt
		{"png zero width", pngHeaderOnly(0, 10), CodeCorrupt, Info{}},
		{"too large", append(append([]byte{}, jpg...), make([]byte, MaxBytes)...), CodeTooLarge, Info{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(tt.b)
			if tt.wantCode == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Check = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			pe, ok := IsError(err)
			if !ok || pe.Code != tt.wantCode {
				t.Fatalf("Check = %+v, %v; want error code %s", got, err, tt.wantCode)
			}
		})
	}
}

// A PNG declaring 30000×30000 pixels (3.6 GB decoded) is refused from its
// header: Check allocates next to nothing.
func TestCheckBombDoesNotAllocate(t *testing.T) {
	bomb := pngHeaderOnly(30000, 30000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := Check(bomb); err == nil {
			t.Fatal("Check(30000×30000 PNG) = nil error")
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("10 × Check(30000×30000 PNG) allocated %d bytes, want < 1 MiB", d)
	}
	if _, err := Process(bomb); err == nil {
		t.Error("Process(30000×30000 PNG) = nil error")
	}
}

func TestOrientation(t *testing.T) {
	jpg := mustJPEG(t, photoLike(16, 16), 80)
	for o := 1; o <= 8; o++ {
		if got := Orientation(withSegment(jpg, exifSegment(o, "x"))); got != o {
			t.Errorf("Orientation(tag %d) = %d", o, got)
		}
	}
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"no exif", jpg},
		{"exif without orientation", withSegment(jpg, exifSegment(0, "x"))},
		{"not a jpeg", []byte("hello")},
		{"truncated segment", withSegment(jpg, exifSegment(6, "x"))[:30]},
		{"empty", nil},
	} {
		if got := Orientation(tt.b); got != 1 {
			t.Errorf("Orientation(%s) = %d, want 1", tt.name, got)
		}
	}
	// Big-endian TIFF too.
	mm := []byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0xFF, 0xD9}
	if got := Orientation(mm); got != 8 {
		t.Errorf("Orientation(big-endian, 8) = %d", got)
	}
}

// A JPEG with GPS coordinates and a description in its EXIF comes out
// with no EXIF at all: no APP1 segment, none of the bytes.
func TestProcessDropsMetadata(t *testing.T) {
	const marker = "SECRET-MARKER-BATCH-4711"
	orig := withSegment(mustJPEG(t, photoLike(120, 90), 85), exifSegment(1, marker))
	if !bytes.Contains(orig, []byte("Exif")) || !bytes.Contains(orig, []byte(marker)) {
		t.Fatal("test image lacks its EXIF")
	}
	p, err := Process(orig)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	for name, b := range map[string][]byte{"full": p.Full, "thumb": p.Thumb} {
		if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s still carries EXIF", name)
		}
		if segs := appSegments(b); len(segs) > 0 {
			t.Errorf("%s has APPn segments %x, want none", name, segs)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s does not decode: %v", name, err)
		}
	}
}

// appSegments lists the APPn markers (0xE1–0xEF; image/jpeg writes none
// but JFIF's APP0 is not even that) before the scan of a JPEG.
func appSegments(b []byte) []byte {
	var out []byte
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		m := b[i+1]
		if m == 0xDA {
			break
		}
		if m >= 0xE1 && m <= 0xEF {
			out = append(out, m)
		}
		i += 2 + int(b[i+2])<<8 | int(b[i+3])
	}
	return out
}

// An orientation-6 photo (sensor turned: view it rotated 90° clockwise)
// comes out upright: the stored top half (red) is on the right, the
// bottom half (blue) on the left, and the image is taller than wide.
func TestProcessAppliesOrientation(t *testing.T) {
	red, blue := color.RGBA{220, 20, 20, 255}, color.RGBA{20, 20, 220, 255}
	stored := halves(80, 40, red, blue)
	for _, tt := range []struct {
		o            int
		w, h         int
		at1, at2     image.Point
		want1, want2 color.RGBA
	}{
		{1, 80, 40, image.Pt(40, 5), image.Pt(40, 35), red, blue},
		{3, 80, 40, image.Pt(40, 5), image.Pt(40, 35), blue, red},
		{6, 40, 80, image.Pt(35, 40), image.Pt(5, 40), red, blue},
		{8, 40, 80, image.Pt(5, 40), image.Pt(35, 40), red, blue},
		{2, 80, 40, image.Pt(40, 5), image.Pt(40, 35), red, blue},
		{4, 80, 40, image.Pt(40, 5), image.Pt(40, 35), blue, red},
		{5, 40, 80, image.Pt(5, 40), image.Pt(35, 40), red, blue},
		{7, 40, 80, image.Pt(35, 40), image.Pt(5, 40), red, blue},
	} {
		orig := withSegment(mustJPEG(t, stored, 95), exifSegment(tt.o, "o"))
		p, err := Process(orig)
		if err != nil {
			t.Fatalf("Process(orientation %d): %v", tt.o, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(p.Full))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h || p.Width != tt.w || p.Height != tt.h {
			t.Fatalf("orientation %d: %v (reported %d×%d), want %d×%d", tt.o, b, p.Width, p.Height, tt.w, tt.h)
		}
		for _, c := range []struct {
			at   image.Point
			want color.RGBA
		}{{tt.at1, tt.want1}, {tt.at2, tt.want2}} {
			if got := img.At(c.at.X, c.at.Y); !near(got, c.want) {
				t.Errorf("orientation %d: pixel %v = %v, want about %v", tt.o, c.at, got, c.want)
			}
		}
	}
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { x := int(a>>8) - int(w); return x > -40 && x < 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func TestProcessScalesAndThumbs(t *testing.T) {
	p, err := Process(mustJPEG(t, photoLike(3000, 1500), 80))
	if err != nil {
		t.Fatal(err)
	}
	// Shrunk by the smallest whole factor that fits MaxSide: 2.
	if p.Width != 1500 || p.Height != 750 {
		t.Errorf("full %d×%d, want 1500×750", p.Width, p.Height)
	}
	th, err := jpeg.DecodeConfig(bytes.NewReader(p.Thumb))
	if err != nil || th.Width != ThumbSide || th.Height != ThumbSide/2 {
		t.Errorf("thumb %+v, %v; want %d×%d", th, err, ThumbSide, ThumbSide/2)
	}
	// A transparent PNG comes out as a JPEG over white.
	img := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	p, err = Process(mustPNG(t, img))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jpeg.Decode(bytes.NewReader(p.Full))
	if !near(out.At(5, 5), color.RGBA{255, 255, 255, 255}) {
		t.Errorf("transparent PNG pixel = %v, want white", out.At(5, 5))
	}
}

// Bytes that pass the header check but do not decode are refused, never
// a panic.
func TestProcessCorrupt(t *testing.T) {
	jpg := mustJPEG(t, photoLike(200, 100), 80)
	for _, b := range [][]byte{jpg[:len(jpg)/2], append(append([]byte{}, jpg[:400]...), make([]byte, 600)...), pngHeaderOnly(10, 10)} {
		if _, err := Process(b); err == nil {
			t.Errorf("Process(corrupt %d bytes) = nil error", len(b))
		} else if _, ok := IsError(err); !ok {
			t.Errorf("Process(corrupt) = %v, want an *Error", err)
		}
	}
}

func FuzzUpload(f *testing.F) {
	f.Add(mustJPEG(f, photoLike(16, 12), 80))
	f.Add(withSegment(mustJPEG(f, photoLike(8, 8), 80), exifSegment(6, "d")))
	f.Add(mustPNG(f, photoLike(9, 7)))
	f.Add(pngHeaderOnly(30000, 30000))
	f.Add(heicHeader())
	f.Add([]byte("\xff\xd8\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Orientation(b)
		info, err := Check(b)
		if err != nil {
			if _, ok := IsError(err); !ok {
				t.Fatalf("Check error %v is not an *Error", err)
			}
			return
		}
		if info.Width*info.Height > 1<<16 {
			return // valid but big: decoding it here would only slow the fuzzer
		}
		if _, err := Process(b); err != nil {
			if _, ok := IsError(err); !ok {
				t.Fatalf("Process error %v is not an *Error", err)
			}
		}
	})
}

func benchProcess(b *testing.B, w, h, orientation int) {
	orig := withSegment(mustJPEG(b, photoLike(w, h), 90), exifSegment(orientation, "bench"))
	b.SetBytes(int64(len(orig)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := Process(orig); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time per photo: on a shared machine the wall clock also counts
	// the waits for a core.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProcess1600: a phone-downscaled photo (budget 80 ms), upright
// as the form's canvas downscaling leaves it.
func BenchmarkProcess1600(b *testing.B) { benchProcess(b, 1600, 1200, 1) }

// BenchmarkProcess1600Rotated: the same with EXIF orientation 6 to apply.
func BenchmarkProcess1600Rotated(b *testing.B) { benchProcess(b, 1600, 1200, 6) }

// BenchmarkProcess12MP: a camera original from the no-JS form, orientation
// 6 (budget 400 ms and 100 MB; B/op bounds the peak).
func BenchmarkProcess12MP(b *testing.B) { benchProcess(b, 4000, 3000, 6) }
