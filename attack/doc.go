// Package attack plays an attacker and a victim inside the simulator, to
// show what port selection gives away: whether a web page can track a
// device, whether a server can count a host's connections, and whether an
// off-path attacker can guess the next port. Nothing touches a network:
// the victim is a simulated host (its socket table, its strategies keyed
// by its own seed, its scenario's background traffic, sim.Connections),
// and the attacker sees only what it would see for real, the source ports
// of the connections it provokes to its own servers.
//
// Three attacks, each played against every strategy or "profile:" spec of
// a scenario by Run:
//
//   - Tracking: the device-tracking attack of Kol, Klein and Gilad (USENIX
//     Security 2023, CVE-2022-32296) on RFC 6056 Algorithm 4. The
//     attacker's page finds a witness destination for each counter of the
//     perturbation table, then reads which loopback destinations share a
//     counter; those collisions depend on the device's key alone, so they
//     are an ID that survives a change of network. A visit ends with an ID
//     or when its budget of connections is spent; the device is visited
//     again on the same network and from another, and a second device
//     once, to see whether the ID is stable and distinct. The attacker
//     reads the algorithm's shape (strategies.Shape: the table's size, the
//     counter's step, how far a connection moves it), as one who knows the
//     kernel would; it does not know the key. TrackingSpecs lists the
//     table-size sweep.
//   - Count: RFC 6056 Algorithm 3's side channel. The attacker's server,
//     seeing two connections from the victim, reads from the difference
//     of their ports how many connections the victim made in between
//     (those its strategy served: a profile's TCP counter does not move
//     for UDP). Its error is reported beside that of guessing the average.
//   - Guess: an off-path attacker that saw the victim's previous port (to
//     its own server, or to the target) guesses the next one to the
//     target, as a DNS cache poisoner must. It learns the algorithm on
//     devices of its own and guesses the displacements that came up most;
//     the result is the chance of success within g guesses, and for DNS,
//     where each spoofed answer must also match the 16-bit transaction ID,
//     within g answers (the Kaminsky window).
//
// Time is simulated: the page opens Config.Rate connections a second and
// waits a round trip after each batch; re-salting strategies see the
// clock. Background traffic stops at the scenario's duration. Every
// connection the attacker provokes is reset at once, as the attacker's
// server resets a SYN and a loopback port with no listener refuses one,
// so it holds no port afterwards.
//
// Runs are deterministic: the same scenario, seed and Config give the same
// Result, however many plays run at once (each play has its own device and
// draws). Play 0 of a victim replays the scenario's own workload. The
// JSON form of a Result carries a schema field (Schema) and leaves out
// the fields that do not apply to its attack.
package attack
