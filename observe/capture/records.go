package capture

import (
	"bufio"
	"io"
)

// recReader hands out the bytes of a capture's records straight from a
// bufio.Reader's buffer, so that a packet is not copied before it is
// decoded.
type recReader struct {
	br   *bufio.Reader
	big  []byte // for reads longer than br's buffer
	long []byte // the part kept of a record longer than its snap length
}

// read returns the next n bytes, valid until the next read, and consumes
// them. A short input gives what there was and io.ReadFull's errors:
// io.EOF when there was nothing, io.ErrUnexpectedEOF when there was
// something; other errors are the underlying reader's.
func (r *recReader) read(n int) ([]byte, error) {
	if n <= r.br.Size() {
		b, err := r.br.Peek(n)
		r.br.Discard(len(b))
		if len(b) < n {
			return b, fullErr(len(b), err)
		}
		return b, nil
	}
	// Longer than the buffer: into one of our own, grown as the bytes
	// arrive, so that a damaged length cannot make it huge.
	r.big = r.big[:0]
	for len(r.big) < n {
		have := len(r.big)
		r.big = append(r.big, make([]byte, min(n-have, 1<<20))...)
		m, err := io.ReadFull(r.br, r.big[have:])
		r.big = r.big[:have+m]
		if err != nil {
			return r.big, fullErr(len(r.big), err)
		}
	}
	return r.big, nil
}

// skip consumes the next n bytes without keeping them, with read's errors
// for a short input (io.ErrUnexpectedEOF, since it ends inside a record).
func (r *recReader) skip(n int) error {
	if m, err := r.br.Discard(n); m < n {
		return fullErr(1, err) // part of the record was read before
	}
	return nil
}

// fullErr is io.ReadFull's error after n bytes and the reader's err.
func fullErr(n int, err error) error {
	switch {
	case err == nil || err == io.EOF || err == io.ErrUnexpectedEOF:
		if n == 0 {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	return err
}
