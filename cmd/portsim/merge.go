package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/portsim/portsim/sim"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "merge",
		summary: "join the parts of a sharded sweep into the whole sweep's output",
		args:    "PART_OR_DIR... [--format table|csv|json] [--out DIR]",
		about: `Merge reads the part files 'portsim sweep --shard I/N' (or --shards N)
writes — each a file, or a directory whose sweep-part-*.json files are read
— checks that they are the N parts of one sweep (the same scenario, seed,
strategies, grid and kinds: a fingerprint each part carries), that none is
missing and none is given twice, and prints the rows as the unsharded sweep
prints them: the same bytes for --format table, csv or json. --out DIR
writes sweep.json, as 'portsim sweep --out' does, for 'portsim plot' and
'portsim report'.

A missing part is named by its index: rerun that shard alone with
--shard I/N and merge again.`,
		examples: `# five shards, perhaps on five machines sharing parts/
portsim sweep --preset load-tester --warmup 0s --vary rate=200:1000:200 --vary destinations=1,4 --shard 0/5 --out parts/
# ... shards 1/5 to 4/5 ...
portsim merge parts/ --out sweep/`,
		setup: func(fs *pflag.FlagSet) action {
			as := fs.String("format", "table", "output `FORMAT`: table, csv or json")
			out := fs.String("out", "", "also write sweep.json into `DIR`")
			return func(e *env, args []string) error {
				if err := checkFormat(*as); err != nil {
					return err
				}
				if len(args) == 0 {
					return usagef("no parts given; want the part files 'portsim sweep --shard' wrote, or their directory")
				}
				paths, err := partPaths(args)
				if err != nil {
					return err
				}
				parts := make([]*sim.SweepPart, len(paths))
				for i, path := range paths {
					b, err := readLimited(path)
					if err != nil {
						return err
					}
					if parts[i], err = sim.ReadPart(path, b); err != nil {
						return usagef("%v", err)
					}
				}
				sw, res, err := sim.Merge(parts)
				if err != nil {
					return usagef("%v", err)
				}
				if *out != "" {
					od, err := newOutDir(*out)
					if err != nil {
						return usagef("--out %s: %v", *out, err)
					}
					if err := od.put("sweep.json", func(w io.Writer) error { return writeJSON(w, res) }); err != nil {
						return fmt.Errorf("--out: %w", err)
					}
				}
				w, err := newSweepWriter(e.stdout, *as, sw)
				if err != nil {
					return err
				}
				for _, r := range res.Rows {
					if err := w.row(r); err != nil {
						return err
					}
				}
				return w.end(res)
			}
		},
	})
}

// partPaths are the files args name: each file as given, and a
// directory's sweep-part-*.json in name order.
func partPaths(args []string) ([]string, error) {
	var paths []string
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, usagef("%s: %v", arg, errors.Unwrap(err))
		}
		if !st.IsDir() {
			paths = append(paths, arg)
			continue
		}
		found, err := filepath.Glob(filepath.Join(arg, "sweep-part-*.json"))
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, usagef("%s: no sweep-part-*.json in it; want the directory 'portsim sweep --shard I/N --out' wrote into", arg)
		}
		sort.Strings(found)
		paths = append(paths, found...)
	}
	return paths, nil
}
