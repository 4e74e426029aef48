package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRun is the page's default scenario re-run and redrawn through
// the handler, as a change of a control asks for it: the budget is 300 ms
// an op on this project's two cores. BenchmarkExplain is the Step through
// tab's default walk.
func BenchmarkRun(b *testing.B) {
	bench(b, "/api/run")
}

func BenchmarkExplain(b *testing.B) {
	bench(b, "/api/explain")
}

func bench(b *testing.B, target string) {
	s := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		b.SetBytes(int64(rec.Body.Len()))
	}
}
