package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
)

// A .deb (deb(5)) is an ar archive of three members: debian-binary
// ("2.0\n"), control.tar.gz (the control file, md5sums, conffiles) and
// data.tar.gz (the files, as paths below "./"). Everything is owned by root.

// debFile is one file a package installs.
type debFile struct {
	Path     string // absolute, e.g. /usr/bin/edgecnn
	Mode     int64
	Data     []byte
	Conffile bool // under /etc, kept across upgrades if the user edited it
}

// debControl holds the fields of the control file that vary.
type debControl struct {
	Package, Version, Arch, Maintainer, Section, Homepage string
	Summary, Description                                  string // one line; paragraphs
	Suggests                                              []string
}

// writeDeb writes a binary package with the given files; every time stamp is
// mtime, so the same inputs give the same bytes.
func writeDeb(w io.Writer, c debControl, files []debFile, mtime time.Time) error {
	slices.SortFunc(files, func(a, b debFile) int { return strings.Compare(a.Path, b.Path) })
	var size int64
	var sums, conffiles strings.Builder
	for _, f := range files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return fmt.Errorf("deb: %q is not a clean absolute path", f.Path)
		}
		size += (int64(len(f.Data)) + 1023) / 1024
		fmt.Fprintf(&sums, "%x  %s\n", md5.Sum(f.Data), f.Path[1:])
		if f.Conffile {
			fmt.Fprintln(&conffiles, f.Path)
		}
	}
	data, err := tarGz(files, mtime)
	if err != nil {
		return err
	}
	control := []debFile{
		{Path: "/control", Mode: 0o644, Data: []byte(c.controlFile(size))},
		{Path: "/md5sums", Mode: 0o644, Data: []byte(sums.String())},
	}
	if conffiles.Len() > 0 {
		control = append(control, debFile{Path: "/conffiles", Mode: 0o644, Data: []byte(conffiles.String())})
	}
	ctl, err := tarGz(control, mtime)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "!<arch>\n"); err != nil {
		return err
	}
	for _, m := range []struct {
		name string
		data []byte
	}{{"debian-binary", []byte("2.0\n")}, {"control.tar.gz", ctl}, {"data.tar.gz", data}} {
		if err := arMember(w, m.name, m.data, mtime); err != nil {
			return err
		}
	}
	return nil
}

// controlFile is the text of DEBIAN/control (deb-control(5)); installedKiB
// is the Installed-Size field.
func (c debControl) controlFile(installedKiB int64) string {
	var b strings.Builder
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	field("Package", c.Package)
	field("Version", c.Version)
	field("Architecture", c.Arch)
	field("Maintainer", c.Maintainer)
	field("Installed-Size", fmt.Sprint(installedKiB))
	field("Suggests", strings.Join(c.Suggests, ", "))
	field("Section", c.Section)
	field("Priority", "optional")
	field("Homepage", c.Homepage)
	field("Description", c.Summary)
	// Continuation lines start with a space; an empty line is " .".
	for i, para := range strings.Split(strings.TrimSpace(c.Description), "\n\n") {
		if i > 0 {
			b.WriteString(" .\n")
		}
		for _, line := range strings.Split(para, "\n") {
			fmt.Fprintf(&b, " %s\n", strings.TrimSpace(line))
		}
	}
	return b.String()
}

// tarGz makes a gzipped tar of files as ./path entries, with an entry for
// every directory above them, owned by root.
func tarGz(files []debFile, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	header := func(name string, typ byte, mode, size int64) *tar.Header {
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, Size: size, ModTime: mtime,
			Uname: "root", Gname: "root", Format: tar.FormatGNU}
	}
	dirs := map[string]bool{}
	var addDir func(dir string) error
	addDir = func(dir string) error {
		if dirs[dir] {
			return nil
		}
		dirs[dir] = true
		name := "./"
		if dir != "/" {
			if err := addDir(path.Dir(dir)); err != nil {
				return err
			}
			name = "." + dir + "/"
		}
		return tw.WriteHeader(header(name, tar.TypeDir, 0o755, 0))
	}
	for _, f := range files {
		if err := addDir(path.Dir(f.Path)); err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(header("."+f.Path, tar.TypeReg, f.Mode, int64(len(f.Data)))); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// arMember writes one member of a common-format ar archive: a 60-byte
// header of space-padded fields, the data, and a newline if its size is odd.
func arMember(w io.Writer, name string, data []byte, mtime time.Time) error {
	if len(name) > 16 {
		return fmt.Errorf("ar: member name %q is longer than 16 bytes", name)
	}
	h := fmt.Sprintf("%-16s%-12d%-6d%-6d%-8o%-10d`\n", name, mtime.Unix(), 0, 0, 0o100644, len(data))
	if _, err := io.WriteString(w, h); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if len(data)%2 == 1 {
		_, err := w.Write([]byte{'\n'})
		return err
	}
	return nil
}
