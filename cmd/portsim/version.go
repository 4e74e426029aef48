package main

import "runtime/debug"

// version names the portsim that made a report: its module version when
// installed at one (go install …@v1.2.3), else the commit it was built
// from ("devel 4aed576", "+dirty" for a modified tree), else "devel".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(len(s.Value), 7)]
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	switch {
	case rev == "":
		return "devel"
	case dirty:
		return "devel " + rev + "+dirty"
	}
	return "devel " + rev
}
