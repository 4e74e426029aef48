package attack

// The published figures of the tracking attack, to state beside a run's.
// Kol, Klein and Gilad report that the attack needs about 40 times as many
// connections as the table has counters: about 10,000 for Linux 5.12's
// 2^8, which a page gets from a browser in 5 to 15 seconds, and — by the
// same factor, as the kernel's fix puts it — 2.6 million for the 2^16 it
// moved to.
const (
	// PaperConnectionsPerCounter is the factor: "forcing it to emit only
	// 40 times more connections than there are entries in the
	// table_perturb[] table" (Linux commit 4c2c8f0, tcp: increase source
	// port perturb table to 2^16, reported by Kol, Klein and Gilad).
	PaperConnectionsPerCounter = 40
	// PaperSource names where the figures come from.
	PaperSource = "Kol, Klein, Gilad, Device Tracking via Linux's New TCP Source Port Selection Algorithm (USENIX Security 2023); Linux commit 4c2c8f0"
	// PaperSeconds is how long the authors' tracker took in Chrome
	// (their prototype's README): 5 to 15 seconds, by the round trip.
	PaperSeconds = "5 to 15 s"
)

// PaperConnections is the paper's figure for a table of counters
// counters: 10,240 (about 10k) for 2^8, 2,621,440 (2.6M) for 2^16.
func PaperConnections(counters int) int { return PaperConnectionsPerCounter * counters }
