// Command release builds edgecnn's release artefacts from a clone of the
// repository, with nothing but Go:
//
//	go run ./tools/release [--out dist] [--version 1.2.3]
//
// writes to dist/
//
//	edgecnn-VERSION-linux-amd64         static binaries (CGO_ENABLED=0, -trimpath)
//	edgecnn-VERSION-linux-arm64         Raspberry Pi 4 and 5, 64-bit OS
//	edgecnn-VERSION-linux-armv7         Raspberry Pi 2 and later, 32-bit OS (GOARM=7)
//	edgecnn_VERSION_amd64.deb           Debian packages of each, which install
//	edgecnn_VERSION_arm64.deb           /usr/bin/edgecnn, the systemd unit
//	edgecnn_VERSION_armhf.deb           edgecnn.service and /etc/edgecnn/config
//	SHA256SUMS                          for sha256sum -c
//
// The version defaults to the one git describe gives from the newest v* tag
// (1.2.3, or 1.2.3+4.gabcdef0 four commits later, +dirty with uncommitted
// changes; 0.0.0+git.gabcdef0 before the first tag). Time stamps inside the
// packages are the commit's (or $SOURCE_DATE_EPOCH), so a commit always
// gives the same packages.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// target is one platform a release is built for.
type target struct {
	goarch, goarm string
	name          string // in the binary's file name
	debArch       string // Debian's name for the architecture
}

var targets = []target{
	{goarch: "amd64", name: "amd64", debArch: "amd64"},
	{goarch: "arm64", name: "arm64", debArch: "arm64"},
	{goarch: "arm", goarm: "7", name: "armv7", debArch: "armhf"},
}

const usage = `usage: go run ./tools/release [--out DIR] [--version VERSION]

Builds the static edgecnn binaries for linux/amd64, linux/arm64 and linux/arm
(GOARM=7), a .deb of each, and SHA256SUMS, into DIR (default dist).
`

func main() {
	out := flag.String("out", "dist", "folder to write the artefacts to (created; existing artefacts are replaced)")
	version := flag.String("version", "", "release version (default: from git describe and the v* tags)")
	flag.Usage = func() { fmt.Fprint(os.Stderr, usage); flag.PrintDefaults() }
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := release(*out, *version); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func release(out, version string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if version == "" {
		if version, err = describe(root); err != nil {
			return err
		}
	}
	if !validVersion.MatchString(version) {
		return fmt.Errorf("--version %q: want digits first, then letters, digits and . + ~ only (a Debian upstream version)", version)
	}
	mtime, err := sourceTime(root)
	if err != nil {
		return err
	}
	unit, err := os.ReadFile(filepath.Join(root, "packaging", "edgecnn.service"))
	if err != nil {
		return err
	}
	config, err := os.ReadFile(filepath.Join(root, "packaging", "config"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var artefacts []string
	for _, t := range targets {
		bin := filepath.Join(out, fmt.Sprintf("edgecnn-%s-linux-%s", version, t.name))
		start := time.Now()
		if err := build(root, t, version, bin); err != nil {
			return err
		}
		exe, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%-40s %5.1f MB  %.1fs\n", bin, float64(len(exe))/1e6, time.Since(start).Seconds())
		deb := filepath.Join(out, fmt.Sprintf("edgecnn_%s_%s.deb", version, t.debArch))
		var buf bytes.Buffer
		files := []debFile{
			{Path: "/usr/bin/edgecnn", Mode: 0o755, Data: exe},
			{Path: "/lib/systemd/system/edgecnn.service", Mode: 0o644, Data: unit},
			{Path: "/etc/edgecnn/config", Mode: 0o644, Data: config, Conffile: true},
			{Path: "/usr/share/doc/edgecnn/copyright", Mode: 0o644, Data: []byte(copyright)},
		}
		if err := writeDeb(&buf, control(version, t.debArch), files, mtime); err != nil {
			return fmt.Errorf("%s: %w", deb, err)
		}
		if err := os.WriteFile(deb, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%-40s %5.1f MB\n", deb, float64(buf.Len())/1e6)
		artefacts = append(artefacts, bin, deb)
	}
	return writeSums(filepath.Join(out, "SHA256SUMS"), artefacts)
}

// control describes the package.
func control(version, arch string) debControl {
	return debControl{
		Package: "edgecnn", Version: version, Arch: arch,
		Maintainer: "edgecnn developers <https://github.com/edgecnn/edgecnn/issues>",
		Section:    "video", Homepage: "https://github.com/edgecnn/edgecnn",
		Suggests: []string{"rpicam-apps", "mosquitto-clients"},
		Summary:  "int8 CNN image classifier for Raspberry Pi cameras",
		Description: `edgecnn classifies camera frames with a small convolutional network
quantized to int8, on NEON and dot-product kernels on the Raspberry Pi 4
and 5. One static binary trains, quantizes, evaluates and runs models.

The edgecnn service runs "edgecnn run" as /etc/edgecnn/config says: a Pi
camera or USB camera, label changes to MQTT, Prometheus metrics, GPIO
pins. Enable it with: systemctl enable --now edgecnn`,
	}
}

// copyright is /usr/share/doc/edgecnn/copyright, in Debian's format.
const copyright = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: edgecnn
Source: https://github.com/edgecnn/edgecnn

Files: *
Copyright: the edgecnn authors
License: Apache-2.0
 On Debian systems the full text of the Apache License, Version 2.0 is in
 /usr/share/common-licenses/Apache-2.0; it is also the LICENSE file of the
 source repository.
`

// build compiles cmd/edgecnn for t into path: static, without local paths,
// with the version linked in.
func build(root string, t target, version, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", abs, "./cmd/edgecnn")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+t.goarch, "GOARM="+t.goarm, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for linux/%s: %w", t.name, err)
	}
	return nil
}

// repoRoot is the folder of the go.mod above the working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the edgecnn repository (go env GOMOD found no go.mod)")
	}
	return filepath.Dir(mod), nil
}

// validVersion is what a Debian upstream version may hold without a
// revision (deb-version(7)).
var validVersion = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

// describe turns `git describe` into a version: v1.2.3 -> 1.2.3,
// v1.2.3-4-gabcdef0 -> 1.2.3+4.gabcdef0, no tag -> 0.0.0+git.gabcdef0.
func describe(root string) (string, error) {
	cmd := exec.Command("git", "describe", "--tags", "--long", "--match", "v[0-9]*", "--dirty", "--always", "--abbrev=7")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git describe: %w (pass --version)", err)
	}
	return versionFromDescribe(strings.TrimSpace(string(out))), nil
}

// describeTag matches git describe --long on a tagged history.
var describeTag = regexp.MustCompile(`^v(.+)-(\d+)-(g[0-9a-f]+)$`)

func versionFromDescribe(d string) string {
	dirty := strings.HasSuffix(d, "-dirty")
	d = strings.TrimSuffix(d, "-dirty")
	var v string
	if m := describeTag.FindStringSubmatch(d); m != nil {
		v = strings.ReplaceAll(m[1], "-", "~") // v1.0.0-rc1 sorts before 1.0.0
		if m[2] != "0" {
			v += "+" + m[2] + "." + m[3]
		}
	} else {
		v = "0.0.0+git.g" + d
	}
	if dirty {
		v += "+dirty"
	}
	return v
}

// sourceTime is $SOURCE_DATE_EPOCH, or the time of the commit checked out.
func sourceTime(root string) (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		cmd := exec.Command("git", "log", "-1", "--format=%ct")
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return time.Time{}, fmt.Errorf("git log: %w (set SOURCE_DATE_EPOCH)", err)
		}
		s = strings.TrimSpace(string(out))
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("source date %q: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// writeSums writes the SHA-256 of each file as sha256sum does.
func writeSums(path string, files []string) error {
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), filepath.Base(f))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s\n", path)
	return nil
}
