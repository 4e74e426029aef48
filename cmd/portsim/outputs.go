package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// An output is a path a command will write, named by its flag. Commands
// check all of theirs with checkOutputs before any work, so that a bad
// target costs a usage error at once rather than a whole simulation.
type output struct {
	flag string // "out", "charts", "pcap"
	path string // "" when the flag is not given
	dir  bool   // a directory of files (made if missing), or one file
}

// outDirs and outFile name a command's outputs for checkOutputs.
func outDirs(flag, path string) output { return output{flag, path, true} }
func outFile(flag, path string) output { return output{flag, path, false} }

// checkOutputs checks that each output can be written: a directory is a
// directory (or can be made: its nearest existing ancestor is a
// directory) and writable; a file's directory exists and is writable, and
// the file is not a directory. A dangling symlink is refused for either.
// Errors are usage errors: "--pcap x.pcapng: is a directory".
func checkOutputs(outs ...output) error {
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		if err := checkOutput(o); err != nil {
			return usagef("--%s %s: %v", o.flag, o.path, err)
		}
	}
	return nil
}

func checkOutput(o output) error {
	st, err := os.Stat(o.path)
	switch {
	case err == nil && o.dir && !st.IsDir():
		return errors.New("is a file; want a directory (it is made if missing)")
	case err == nil && !o.dir && st.IsDir():
		return errors.New("is a directory; want a file name")
	case err == nil && o.dir:
		return checkWritable(o.path)
	case err == nil:
		if !st.Mode().IsRegular() {
			return fmt.Errorf("is not a regular file (%v); want a file name", st.Mode().Type())
		}
		return checkWritable(filepath.Dir(o.path))
	case !notExist(err):
		return plainPathErr(err)
	}
	if target, lerr := os.Readlink(o.path); lerr == nil {
		return fmt.Errorf("is a symlink to %s, which does not exist; want a directory or file that can be made", target)
	}
	if !o.dir { // the file is made in its directory, which must be there
		dir := filepath.Dir(o.path)
		st, err := os.Stat(dir)
		switch {
		case notExist(err):
			return nearestFile(dir)
		case err != nil:
			return fmt.Errorf("directory %s: %v; want an existing directory", dir, plainPathErr(err))
		case !st.IsDir():
			return fmt.Errorf("%s is not a directory", dir)
		}
		return checkWritable(dir)
	}
	// A directory is made with its parents: the nearest ancestor that
	// exists must be a directory this user can write.
	for dir := filepath.Dir(filepath.Clean(o.path)); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", dir)
			}
			return checkWritable(dir)
		}
		if !notExist(err) {
			return plainPathErr(err)
		}
		if parent := filepath.Dir(dir); parent == dir {
			return plainPathErr(err)
		}
	}
}

// notExist: the path is not there, or one of its parents is a file.
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// nearestFile explains a missing directory dir: an ancestor that is a
// file, or the directory's absence.
func nearestFile(dir string) error {
	for d := filepath.Dir(dir); d != filepath.Dir(d); d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", d)
			}
			break
		}
	}
	return fmt.Errorf("directory %s does not exist; want an existing directory", dir)
}

// checkWritable makes and removes a file in dir: the one test that
// answers for permissions, read-only mounts and ACLs alike.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".portsim-check*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return fmt.Errorf("directory %s is not writable", dir)
		}
		return plainPathErr(err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// plainPathErr is err's cause without the operation and path, which the
// message names already.
func plainPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// manifestName lists, in a directory an outDir wrote, the files it wrote,
// one name a line, so that the next run into the directory removes those
// it does not write again: a run directory holds one run's output. Charts
// keep a manifest of their own (chartsManifest), so --out and --charts may
// name the same directory.
const (
	manifestName   = ".portsim-files"
	chartsManifest = ".portsim-charts"
)

// cleanOutDir removes from dir what an earlier run left: its interrupted
// writes (.NAME.tmpNNN, as createAtomic and plots' Save name them) and the
// files the manifest lists, which this run writes again or does not
// produce. Nothing else in dir is touched.
func cleanOutDir(dir, manifest string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if isTempName(e.Name()) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, manifest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, name := range strings.Split(string(data), "\n") {
		if name == "" || name != filepath.Base(name) || name[0] == '.' {
			continue // only plain names this package writes
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return os.Remove(filepath.Join(dir, manifest))
}

// isTempName reports whether name is a temporary name createAtomic or
// plots' Save makes: "." NAME ".tmp" DIGITS.
func isTempName(name string) bool {
	i := strings.LastIndex(name, ".tmp")
	if !strings.HasPrefix(name, ".") || i < 2 || i+4 == len(name) {
		return false
	}
	for _, c := range name[i+4:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// addManifest records name in dir's manifest.
func addManifest(dir, manifest, name string) error {
	f, err := os.OpenFile(filepath.Join(dir, manifest), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, name)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// pcapManifest lists, in a directory --pcap wrote into, the captures it
// wrote there.
const pcapManifest = ".portsim-pcap"

// replacePcaps keeps a --pcap name one run's output, in a directory that
// may hold other things: of the captures an earlier run wrote under the
// same name (path, or path's base with a strategy: pcapPaths), it removes
// those this run did not write, with their interrupted writes' temporary
// files, and records the ones it did.
func replacePcaps(path string, written []string) error {
	dir, ext := filepath.Dir(path), filepath.Ext(path)
	base := strings.TrimSuffix(filepath.Base(path), ext)
	ours := func(name string) bool {
		return name == base+ext || strings.HasPrefix(name, base+"-") && strings.HasSuffix(name, ext)
	}
	keep := map[string]bool{}
	for _, p := range written {
		keep[filepath.Base(p)] = true
	}
	var list []string
	data, err := os.ReadFile(filepath.Join(dir, pcapManifest))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, name := range strings.Split(string(data), "\n") {
		switch {
		case name == "" || name != filepath.Base(name) || name[0] == '.' || keep[name]:
		case ours(name):
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		default:
			list = append(list, name) // another name's captures
		}
	}
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if name := e.Name(); isTempName(name) && ours(strings.TrimPrefix(name[:strings.LastIndex(name, ".tmp")], ".")) {
				os.Remove(filepath.Join(dir, name))
			}
		}
	}
	for name := range keep {
		list = append(list, name)
	}
	slices.Sort(list)
	return writeFileAtomic(filepath.Join(dir, pcapManifest), []byte(strings.Join(list, "\n")+"\n"))
}
