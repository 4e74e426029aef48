// Package capture holds connection attempts — a TCP SYN without ACK, or
// the first UDP datagram of a flow: what shows which source port a host
// chose — and reads and writes them. Read takes pcap, pcapng and CSV
// captures, gzip-compressed or not, as a stream with memory bounded by
// ReadOptions; WritePcapng and WriteCSV write attempts back out, as
// synthetic packets for Wireshark or as rows for people, and PcapngWriter
// writes them one at a time.
//
// A capture's attempts are an Attempts: 24-byte Records without pointers,
// their addresses interned, and beside each 4 bytes for the shape of its
// packet (its Stack: TTL, DF, window, TCP options — what tells operating
// systems apart — interned too, and the IP identification), so that ten
// million of them take 280 MB and cost the garbage collector nothing;
// Attempt is the convenient value for a few of them. Reading keeps nothing
// per packet that is not an attempt beyond a bounded flow table, so a
// capture's size does not matter, only how many attempts it holds.
package capture
