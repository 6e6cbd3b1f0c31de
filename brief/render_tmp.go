package brief

import "context"

func (m *Maker) render(ctx context.Context, d *Data) ([]byte, error) {
	return []byte("%PDF-1.3 placeholder"), nil
}
