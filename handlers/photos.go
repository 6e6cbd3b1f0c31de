package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/apiview"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/store"
)

// Photos on the submission path. A multipart submission's `photo` parts
// (at most photo.MaxPhotos, each at most photo.MaxBytes) are read into
// memory under the server's upload budget (Config.UploadMemory: reading
// waits while other uploads hold it, so many 10 MB uploads at once cannot
// exhaust the memory), checked by their magic bytes and header
// (photo.Check: JPEG and PNG, at most 40 MP, nothing decoded), and stored
// as originals under the new report's id before the report is submitted:
// a 201 therefore never names a photo that is not stored. If the
// submission then fails, or turns out to be a replay, the photos just
// written are deleted (and if the process dies in between, the photo
// sweeper deletes them later).

// Routes of the photos (authenticated).
const (
	routeReportPhoto = "/api/v1/reports/:id/photos/:pid"
	routePhotoThumb  = "/api/v1/reports/:id/photos/:pid/thumb"
)

// DefaultUploadMemory bounds the photo bytes all submissions together hold
// in memory while they are read and stored.
const DefaultUploadMemory = 64 << 20

// uploadChunk is how much of the upload budget a photo part takes at a time.
const uploadChunk = 256 << 10

// upload is one photo part as read.
type upload struct {
	b    []byte
	info photo.Info
}

// uploads collects a submission's photos; problem is the first photo the
// reporter must change (the rest of the body is still read, so that the
// form's other fields, its language among them, are known).
type uploads struct {
	budget  *photo.Budget
	ctx     context.Context
	photos  []upload
	held    int64 // budget bytes taken
	problem *photo.Error
}

// read reads one photo part. Errors are the body's (413, 400) or the
// budget wait's; photo problems are recorded in u.problem instead.
func (u *uploads) read(p *multipart.Part) error {
	if u.problem != nil || len(u.photos) >= photo.MaxPhotos {
		n, err := io.Copy(io.Discard, p)
		if err != nil {
			return bodyReadError(err)
		}
		if n > 0 && u.problem == nil {
			u.problem = &photo.Error{Code: photo.CodeTooMany, Index: len(u.photos)}
		}
		return nil
	}
	var b []byte
	for {
		if len(b) > photo.MaxBytes {
			u.problem = &photo.Error{Code: photo.CodeTooLarge, Index: len(u.photos)}
			if _, err := io.Copy(io.Discard, p); err != nil {
				return bodyReadError(err)
			}
			return nil
		}
		if err := u.budget.Acquire(u.ctx, uploadChunk); err != nil {
			return errUnavailable(fmt.Errorf("wait for upload memory: %w", err))
		}
		u.held += uploadChunk
		b = growBytes(b, uploadChunk)
		n, err := io.ReadFull(p, b[len(b):len(b)+uploadChunk])
		b = b[:len(b)+n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return bodyReadError(err)
		}
	}
	if len(b) == 0 {
		return nil // an empty file input (the form sent with no photo chosen)
	}
	info, err := photo.Check(b)
	if pe, ok := photo.IsError(err); ok {
		pe.Index = len(u.photos)
		u.problem = pe
		return nil
	}
	u.photos = append(u.photos, upload{b: b, info: info})
	return nil
}

func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), max(2*cap(b), len(b)+n))
	copy(nb, b)
	return nb
}

// done gives the budget back.
func (u *uploads) done() {
	if u != nil && u.held > 0 {
		u.budget.Release(u.held)
		u.held = 0
	}
}

// photoError is the validation error for a refused photo.
func photoError(pe *photo.Error) error {
	return errValidation(map[string]string{"photo": pe.Code})
}

// submitWithPhotos stores the photos under a new report id, then the
// report with them; it deletes the photos again if the report was not
// created by this call.
func (s *Server) submitWithPhotos(ctx context.Context, c echo.Context, in intake.Input, key string, up *uploads) (store.Report, bool, error) {
	meta := intake.Meta{IdempotencyKey: key}
	if err := s.intake.Check(in, meta); err != nil {
		return store.Report{}, false, err
	}
	meta.ReportID = store.NewID(s.now())
	for _, u := range up.photos {
		id := newPhotoID()
		if err := s.photos.Put(ctx, meta.ReportID, id, photo.Original, u.b); err != nil {
			s.dropPhotos(c, meta.ReportID)
			return store.Report{}, false, errUnavailable(fmt.Errorf("store photo: %w", err))
		}
		meta.Photos = append(meta.Photos, store.Photo{ID: id, Width: u.info.Width, Height: u.info.Height, State: store.PhotoPending})
	}
	up.done() // stored: the bytes may go
	r, created, err := s.intake.Submit(ctx, in, meta)
	if err != nil || !created {
		s.dropPhotos(c, meta.ReportID)
	}
	return r, created, err
}

// dropPhotos deletes the photos of a submission that was not stored.
func (s *Server) dropPhotos(c echo.Context, reportID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), storeReadTimeout)
	defer cancel()
	if err := s.photos.DeleteReport(ctx, reportID); err != nil {
		// Safe to leave: the sweeper deletes photos whose report never came.
		s.log.Warn("delete photos of a submission not stored", "request_id", requestIDOf(c), "report", reportID, "err", err)
	}
}

// newPhotoID is a random photo id (16 bytes, hex).
func newPhotoID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// apiPhotos lists a report's re-encoded photos with their URLs; pending
// and failed ones are not shown (only re-encoded images are ever served).
func apiPhotos(r store.Report) []store.Photo { return apiview.Photos(r) }

// registerPhotoRoutes adds the photo routes to the authenticated API.
func (s *Server) registerPhotoRoutes(g routeGroup) {
	g.GET(routeReportPhoto, func(c echo.Context) error { return s.handlePhoto(c, photo.Full) })
	g.GET(routePhotoThumb, func(c echo.Context) error { return s.handlePhoto(c, photo.Thumb) })
}

// handlePhoto serves a re-encoded photo or its thumbnail: 404 for an
// unknown report or photo, and for one not re-encoded yet.
func (s *Server) handlePhoto(c echo.Context, v photo.Variant) error {
	if s.photos == nil {
		return errNotFound()
	}
	id, pid := c.Param("id"), c.Param("pid")
	if len(id) > maxReportIDLen || len(pid) > maxReportIDLen {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	r, err := s.reports.Report(ctx, id)
	if err != nil {
		return storeReadError(err)
	}
	ready := false
	for _, p := range r.Photos {
		if p.ID == pid && p.Ready() {
			ready = true
		}
	}
	if !ready {
		return errNotFound()
	}
	b, err := s.photos.Get(ctx, id, pid, v)
	if err != nil {
		return storeReadError(err)
	}
	h := c.Response().Header()
	// A photo never changes once re-encoded; it is the R&D user's to keep.
	h.Set(echo.HeaderCacheControl, "private, max-age=86400, immutable")
	h.Set("Content-Disposition", "inline")
	return c.Blob(http.StatusOK, "image/jpeg", b)
}

// photoMessages are the messages of photo problems (field "photo").
func photoMessages() map[string]text {
	return map[string]text{
		"field.photo": {"照片", "Photo"},
		"fieldcode." + photo.CodeType: {"照片只能是 JPEG 或 PNG 格式。",
			"Photos must be JPEG or PNG pictures."},
		"fieldcode." + photo.CodeHEIC: {"不支持 HEIC 格式的照片（苹果手机默认格式）。请在“设置 > 相机 > 格式”中选择“兼容性最佳”，或截屏后上传截图。",
			"HEIC photos (the iPhone default) are not accepted. Choose Settings › Camera › Formats › Most Compatible, or send a screenshot of the photo."},
		"fieldcode." + photo.CodeTooLarge: {"照片过大：每张最多 10 MB。",
			"A photo is too large: at most 10 MB each."},
		"fieldcode." + photo.CodeTooMany: {"照片过多：最多 3 张。",
			"Too many photos: at most 3."},
		"fieldcode." + photo.CodeTooBig: {"照片像素过多：最多 4000 万像素。",
			"A photo has too many pixels: at most 40 megapixels."},
		"fieldcode." + photo.CodeCorrupt: {"照片文件已损坏，无法读取，请重新拍摄。",
			"A photo file is damaged and cannot be read. Please take it again."},
		"fieldcode." + photo.CodeEmptyFile: {"照片文件是空的。", "A photo file is empty."},
	}
}

// fieldCodeMessage is the message of a field problem code that has a
// sentence of its own (the photo codes), and false for the generic ones.
func (cat catalog) fieldCodeMessage(lang i18n.Lang, code string) (string, bool) {
	if _, ok := cat["fieldcode."+code]; !ok || !isPhotoCode(code) {
		return "", false
	}
	return cat.msg(lang, "fieldcode."+code), true
}

func isPhotoCode(code string) bool {
	switch code {
	case photo.CodeType, photo.CodeHEIC, photo.CodeTooLarge, photo.CodeTooMany, photo.CodeTooBig, photo.CodeCorrupt, photo.CodeEmptyFile:
		return true
	}
	return false
}
