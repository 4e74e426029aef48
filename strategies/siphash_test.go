package strategies

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"net/netip"
	"testing"

	"github.com/dchest/siphash"
)

// sipVectors are SipHash-2-4's 64-bit outputs, as bytes, from the reference
// implementation's vectors.h (github.com/veorq/SipHash): key 00 01 … 0f,
// message i is the i bytes 00 01 … (i-1).
var sipVectors = [64]string{
	"310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785",
	"b7877127e09427cf", "8da699cd64557618", "cee3fe586e46c9cb", "37d1018bf50002ab",
	"6224939a79f5f593", "b0e4a90bdf82009e", "f3b9dd94c5bb5d7a", "a7ad6b22462fb3f4",
	"fbe50e86bc8f1e75", "903d84c02756ea14", "eef27a8e90ca23f7", "e545be4961ca29a1",
	"db9bc2577fcc2a3f", "9447be2cf5e99a69", "9cd38d96f0b3c14b", "bd6179a71dc96dbb",
	"98eea21af25cd6be", "c7673b2eb0cbf2d0", "883ea3e395675393", "c8ce5ccd8c030ca8",
	"94af49f6c650adb8", "eab8858ade92e1bc", "f315bb5bb835d817", "adcf6b0763612e2f",
	"a5c91da7acaa4dde", "716595876650a2a6", "28ef495c53a387ad", "42c341d8fa92d832",
	"ce7cf2722f512771", "e37859f94623f3a7", "381205bb1ab0e012", "ae97a10fd434e015",
	"b4a31508beff4d31", "81396229f0907902", "4d0cf49ee5d4dcca", "5c73336a76d8bf9a",
	"d0a704536ba93e0e", "925958fcd6420cad", "a915c29bc8067318", "952b79f3bc0aa6d4",
	"f21df2e41d4535f9", "87577519048f53a9", "10a56cf5dfcd9adb", "eb75095ccd986cd0",
	"51a9cb9ecba312e6", "96afadfc2ce666c7", "72fe52975a4364ee", "5a1645b276d592a1",
	"b274cb8ebf87870a", "6f9bb4203de7b381", "eaecb2a30b22a87f", "9924a43cc1315724",
	"bd838d3aafbf8db7", "0b1a2a3265d51aea", "135079a3231ce660", "932b2846e4d70666",
	"e1915f5cb1eca46c", "f325965ca16d629f", "575ff28e60381be5", "724506eb4c328a95",
}

func sipRefKey() (k0, k1 uint64) {
	var key [16]byte
	for i := range key {
		key[i] = byte(i)
	}
	return binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:])
}

func sipVector(t *testing.T, i int) uint64 {
	t.Helper()
	b, err := hex.DecodeString(sipVectors[i])
	if err != nil || len(b) != 8 {
		t.Fatalf("vector %d: bad hex %q", i, sipVectors[i])
	}
	return binary.LittleEndian.Uint64(b)
}

// The siphash package flowHash uses agrees with the reference vectors.
func TestSipHashReferenceVectors(t *testing.T) {
	k0, k1 := sipRefKey()
	var msg [64]byte
	for i := range msg {
		msg[i] = byte(i)
	}
	for i := range sipVectors {
		if got, want := siphash.Hash(k0, k1, msg[:i]), sipVector(t, i); got != want {
			t.Errorf("%d-byte message: got 0x%016x, want 0x%016x", i, got, want)
		}
	}
	// The two values quoted most often: the empty message and the paper's
	// 15-byte example (Aumasson and Bernstein, appendix A).
	for _, tt := range []struct {
		n    int
		want uint64
	}{{0, 0x726fdb47dd0e0e31}, {15, 0xa129ca6149be45e5}} {
		if got := siphash.Hash(k0, k1, msg[:tt.n]); got != tt.want {
			t.Errorf("%d-byte message: got 0x%016x, want 0x%016x", tt.n, got, tt.want)
		}
	}
}

// sipWords is an independent SipHash-2-4 over whole 64-bit little-endian
// words, the shape of the kernel's siphash_1u64, siphash_2u64 and so on; it
// checks the package and flowHash's byte layout from a second direction.
func sipWords(k0, k1 uint64, words ...uint64) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13) ^ v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16) ^ v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21) ^ v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17) ^ v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	last := uint64(len(words)*8) << 56 // the length byte, no tail bytes
	for _, m := range append(words, last) {
		v3 ^= m
		round()
		round()
		v0 ^= m
	}
	v2 ^= 0xff
	for range 4 {
		round()
	}
	return v0 ^ v1 ^ v2 ^ v3
}

func TestSipWordsReferenceVectors(t *testing.T) {
	k0, k1 := sipRefKey()
	var words []uint64
	for n := 0; n < 64; n += 8 {
		if got, want := sipWords(k0, k1, words...), sipVector(t, n); got != want {
			t.Errorf("%d-byte message as words: got 0x%016x, want 0x%016x", n, got, want)
		}
		var w [8]byte
		for i := range w {
			w[i] = byte(n + i)
		}
		words = append(words, binary.LittleEndian.Uint64(w[:]))
	}
}

// siphash4u32 is the kernel's siphash_4u32(a, b, c, d): SipHash over the
// little-endian bytes of four 32-bit words, i.e. two 64-bit words.
func siphash4u32(k sipKey, a, b, c, d uint32) uint64 {
	return sipWords(k.k0, k.k1, uint64(b)<<32|uint64(a), uint64(d)<<32|uint64(c))
}

// flowHash lays out IPv4 input as secure_ipv4_port_ephemeral does on a
// little-endian machine: saddr and daddr as stored (network order), dport's
// network-order bytes then two zeros, then the epoch.
func TestFlowHashIPv4Layout(t *testing.T) {
	tests := []struct {
		src, dst string
		epoch    uint32
	}{
		{"10.0.0.1", "192.0.2.10:443", 0},
		{"10.0.0.1", "192.0.2.10:443", 1},
		{"10.0.0.1", "192.0.2.10:444", 0},
		{"10.0.0.2", "192.0.2.10:443", 0},
		{"127.0.0.1", "127.0.0.1:8080", 0xdeadbeef},
		{"255.254.253.252", "1.2.3.4:65535", 0x01020304},
	}
	k := newSipKey(7, 0)
	seen := map[uint64]bool{}
	for _, tt := range tests {
		src, dst := netip.MustParseAddr(tt.src), netip.MustParseAddrPort(tt.dst)
		got := flowHash(k, src, dst, tt.epoch)

		s4, d4 := src.As4(), dst.Addr().As4()
		var b [16]byte
		copy(b[0:4], s4[:])
		copy(b[4:8], d4[:])
		b[8], b[9] = byte(dst.Port()>>8), byte(dst.Port())
		binary.LittleEndian.PutUint32(b[12:16], tt.epoch)
		if want := siphash.Hash(k.k0, k.k1, b[:]); got != want {
			t.Errorf("%s -> %s epoch %d: flowHash 0x%016x, SipHash of the 16 bytes %x is 0x%016x", tt.src, tt.dst, tt.epoch, got, b, want)
		}

		// The same value from the kernel's view: __be32 words loaded as
		// u32 on a little-endian CPU, dport as a __be16 widened to u32.
		saddr := binary.LittleEndian.Uint32(s4[:])
		daddr := binary.LittleEndian.Uint32(d4[:])
		dport := uint32(bits.ReverseBytes16(dst.Port()))
		if want := siphash4u32(k, saddr, daddr, dport, tt.epoch); got != want {
			t.Errorf("%s -> %s epoch %d: flowHash 0x%016x, siphash_4u32 0x%016x", tt.src, tt.dst, tt.epoch, got, want)
		}
		if seen[got] {
			t.Errorf("%s -> %s epoch %d: hash 0x%016x repeats another input's", tt.src, tt.dst, tt.epoch, got)
		}
		seen[got] = true
	}
}

// For IPv6 the kernel hashes a struct of saddr, daddr (16 bytes each), the
// epoch as a native (little-endian) u32 and dport in network order, up to
// the end of dport: 38 bytes.
func TestFlowHashIPv6Layout(t *testing.T) {
	k := newSipKey(8, 0)
	src := netip.MustParseAddr("2001:db8::1")
	dst := netip.MustParseAddrPort("[2001:db8:ffff::2]:443")
	for _, epoch := range []uint32{0, 1, 0xdeadbeef} {
		var b [38]byte
		s16, d16 := src.As16(), dst.Addr().As16()
		copy(b[0:16], s16[:])
		copy(b[16:32], d16[:])
		binary.LittleEndian.PutUint32(b[32:36], epoch)
		binary.BigEndian.PutUint16(b[36:38], dst.Port())
		if got, want := flowHash(k, src, dst, epoch), siphash.Hash(k.k0, k.k1, b[:]); got != want {
			t.Errorf("epoch %d: flowHash 0x%016x; SipHash of the 38 bytes 0x%016x", epoch, got, want)
		}
	}
}
