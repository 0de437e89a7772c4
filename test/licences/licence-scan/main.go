// licence-scan: the licences of every Go module linked into the given binaries.
//
//	licence-scan BINARY...
//
// For each binary it reads the module list the Go linker embedded (debug/buildinfo, what
// `go version -m` prints), fetches each module's source into the module cache with
// `go mod download -json` (a replace to a local directory is read from that directory), and
// classifies the module's LICENSE/LICENCE/COPYING files with github.com/google/licensecheck (the
// classifier behind pkg.go.dev). It prints one JSON object per module and binary; the policy (what
// is allowed) lives in test/licences/gate.ts, not here.
package main

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"

	"github.com/google/licensecheck"
)

type fileResult struct {
	Name    string   `json:"name"`
	IDs     []string `json:"ids"`
	Percent float64  `json:"percent"`
}

type moduleResult struct {
	Binary  string       `json:"binary"`
	Module  string       `json:"module"`
	Version string       `json:"version"`
	Dir     string       `json:"dir,omitempty"`
	Files   []fileResult `json:"files"`
	Error   string       `json:"error,omitempty"`
}

var licenceFile = regexp.MustCompile(`(?i)^(licen[cs]e|copying)([._-].*)?$`)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: licence-scan BINARY...")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	failed := false
	for _, bin := range os.Args[1:] {
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "licence-scan: %s: %v\n", bin, err)
			failed = true
			continue
		}
		for _, r := range scanBinary(bin, info.Deps) {
			if err := out.Encode(r); err != nil {
				panic(err)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func scanBinary(bin string, deps []*debug.Module) []moduleResult {
	var results []moduleResult
	var download []string
	byKey := map[string]int{}
	for _, d := range deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		r := moduleResult{Binary: bin, Module: d.Path, Version: m.Version}
		if m.Version == "" || m.Version == "(devel)" {
			// Replaced by a local directory: read it in place.
			r.Dir = m.Path
		} else {
			key := m.Path + "@" + m.Version
			byKey[key] = len(results)
			download = append(download, key)
		}
		results = append(results, r)
	}
	if len(download) > 0 {
		dirs, err := moduleDirs(download)
		if err != nil {
			for _, i := range byKey {
				results[i].Error = err.Error()
			}
		}
		for key, dir := range dirs {
			if i, ok := byKey[key]; ok {
				results[i].Dir = dir.Dir
				results[i].Error = dir.Error
			}
		}
	}
	for i := range results {
		if results[i].Dir != "" && results[i].Error == "" {
			results[i].Files, results[i].Error = scanDir(results[i].Dir)
		}
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Module < results[j].Module })
	return results
}

type downloaded struct {
	Path, Version, Dir, Error string
}

// moduleDirs runs `go mod download -json` once for all modules (outside any module, so no go.mod
// is consulted or changed) and returns path@version → source directory.
func moduleDirs(keys []string) (map[string]downloaded, error) {
	cmd := exec.Command("go", append([]string{"mod", "download", "-json"}, keys...)...)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run() // exits 1 when any module failed; each one's Error says which
	dirs := map[string]downloaded{}
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var d downloaded
		if err := dec.Decode(&d); err != nil {
			return dirs, fmt.Errorf("go mod download: %v (%s)", err, stderr.String())
		}
		dirs[d.Path+"@"+d.Version] = d
	}
	if runErr != nil && len(dirs) == 0 {
		return dirs, fmt.Errorf("go mod download: %v: %s", runErr, stderr.String())
	}
	return dirs, nil
}

func scanDir(dir string) ([]fileResult, string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err.Error()
	}
	var files []fileResult
	for _, e := range entries {
		if e.IsDir() || !licenceFile.MatchString(e.Name()) {
			continue
		}
		text, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return files, err.Error()
		}
		cov := licensecheck.Scan(text)
		f := fileResult{Name: e.Name(), IDs: []string{}, Percent: cov.Percent}
		seen := map[string]bool{}
		for _, m := range cov.Match {
			if !seen[m.ID] {
				seen[m.ID] = true
				f.IDs = append(f.IDs, m.ID)
			}
		}
		files = append(files, f)
	}
	return files, ""
}
