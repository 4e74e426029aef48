// Package fit says which model explains observed ports. Analyze takes a
// capture's attempts and, for each source host and protocol, leaves out
// the ports the kernel did not choose (system ports, an application's
// bound port, a UDP socket reused), summarizes the rest and ranks every
// OS profile's strategy by the likelihood of those ports under it; the
// best is then checked on its own (the posteriors only compare the
// candidates), by running its strategy on the host's requests and
// comparing statistics of the ports (FitCheck), so that ports no model
// explains say so. The host's packets' shape (HostStack: initial TTL,
// window, MSS, window scale, TCP option order) is weighed against each
// profile's SYN signature, and with the port fits makes one OSVerdict per
// host: ports date a system, the stack names its family. NATVerdict says
// whether the address is a translator's with hosts behind it (a capture
// taken outside a NAT) and how it picks ports — port-preserving,
// random, or in blocks — from signals a single host does not make. Judge compares ports a kernel chose for one request
// kind (as package probe collects them) with a strategy run on the very
// same requests, check by check, and says whether they match; LinuxRules
// runs the Linux models as a host's sysctls set them.
//
// Its inputs are attempts (package capture) and plain values; it knows
// nothing of how they were collected.
package fit
