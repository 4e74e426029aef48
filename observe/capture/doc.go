// Package capture holds connection attempts — a TCP SYN without ACK, or
// the first UDP datagram of a flow: what shows which source port a host
// chose — and reads and writes them. Read takes pcap, pcapng and CSV
// captures, gzip-compressed or not, as a stream with memory bounded by
// ReadOptions; WritePcapng and WriteCSV write attempts back out, as
// synthetic packets for Wireshark or as rows for people.
package capture
