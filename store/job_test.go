package store

import "testing"

func TestQueueFor(t *testing.T) {
	for _, tc := range []struct {
		typ, queue string
		ok         bool
	}{
		{JobProcessReport, QueueReport, true},
		{JobProcessPhotos, QueuePhoto, true},
		{JobAlert, QueueAlert, true},
		{JobBrief, QueueBrief, true},
		{JobMail, QueueMail, true},
		{"print_label", "", false},
		{"", "", false},
	} {
		if q, ok := QueueFor(tc.typ); q != tc.queue || ok != tc.ok {
			t.Errorf("QueueFor(%q) = %q, %v; want %q, %v", tc.typ, q, ok, tc.queue, tc.ok)
		}
	}
	for _, q := range Queues {
		if !KnownQueue(q) {
			t.Errorf("KnownQueue(%q) = false for a member of Queues", q)
		}
	}
}

func TestJobQueue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		job   Job
		queue string // "" = an error
	}{
		{"type decides", Job{ID: "a", Type: JobMail}, QueueMail},
		{"queue wins over type", Job{ID: "b", Type: JobMail, Queue: QueueAlert}, QueueAlert},
		{"unknown type with a queue", Job{ID: "c", Type: "print_label", Queue: QueuePhoto}, QueuePhoto},
		{"unknown type, no queue", Job{ID: "d", Type: "print_label"}, ""},
		{"unknown queue", Job{ID: "e", Type: JobMail, Queue: "fax"}, ""},
	} {
		q, err := JobQueue(tc.job)
		if tc.queue == "" {
			if err == nil {
				t.Errorf("JobQueue(%s: %+v) = %q, nil; want an error", tc.name, tc.job, q)
			}
			continue
		}
		if err != nil || q != tc.queue {
			t.Errorf("JobQueue(%s: %+v) = %q, %v; want %q", tc.name, tc.job, q, err, tc.queue)
		}
	}
}
