package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/edgecnn/edgecnn/internal/safefile"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
)

// Folder is an image folder laid out as DIR/<class>/<file>.png, .jpg or
// .jpeg (any case), listed but not decoded. Classes are the subfolder names
// in sorted order; hidden entries (names starting with ".") and files of
// other kinds are ignored.
type Folder struct {
	Dir     string
	Classes []string
	Files   []string // sorted within each class
	Labels  []int    // the class of each file, an index into Classes
}

// ListFolder lists dir. A folder without class subfolders or a class
// without images is an error naming it.
func ListFolder(dir string) (*Folder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	f := &Folder{Dir: dir}
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") || !isDir(sub) { // isDir follows symlinks
			continue
		}
		images, err := imageFiles(sub)
		if err != nil {
			return nil, err
		}
		if len(images) == 0 {
			return nil, fmt.Errorf("%s: class folder holds no .png, .jpg or .jpeg images", sub)
		}
		for _, file := range images {
			f.Files = append(f.Files, file)
			f.Labels = append(f.Labels, len(f.Classes))
		}
		f.Classes = append(f.Classes, e.Name())
	}
	if len(f.Classes) == 0 {
		return nil, fmt.Errorf("%s: no class subfolders (want %s/<class>/*.png|jpg|jpeg)", dir, dir)
	}
	return f, nil
}

// Match renumbers the folder's classes as indices into labels, matching
// folder names to labels exactly. Folders named after no label are an
// error naming them and the labels; labels without a folder are fine (a
// test set may lack classes). Classes becomes labels.
func (f *Folder) Match(labels []string) error {
	index := make(map[string]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	var stray []string
	remap := make([]int, len(f.Classes))
	for c, name := range f.Classes {
		i, ok := index[name]
		if !ok {
			stray = append(stray, name)
		}
		remap[c] = i
	}
	if len(stray) > 0 {
		return fmt.Errorf("%s: class folders %s match no label of the model (labels: %s); name each folder after its label",
			f.Dir, quoteList(stray, 10), quoteList(labels, 20))
	}
	for i, l := range f.Labels {
		f.Labels[i] = remap[l]
	}
	f.Classes = labels
	return nil
}

// quoteList quotes up to n names, saying how many more there are.
func quoteList(names []string, n int) string {
	var b strings.Builder
	for i, s := range names[:min(n, len(names))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", s)
	}
	if len(names) > n {
		fmt.Fprintf(&b, " and %d more", len(names)-n)
	}
	return b.String()
}

// FolderOptions tune LoadFolder.
type FolderOptions struct {
	// Input is the model's input contract: every image goes through it
	// (the digit path or the image path), as run and capture prepare
	// camera frames.
	Input nn.Input
	// Labels, when set, are the classes the set is made of, matched to
	// the folders by name (Folder.Match); else the folder names, sorted.
	Labels []string
	// Threads is the number of images decoded at once (0: all cores).
	Threads int
	// Progress, when set, is called with the number of images done.
	Progress func(done, total int)
}

// decodeBudget bounds the memory all decoders of a LoadFolder may hold at
// once; an image whose decode needs more than preprocess.MaxDecodeBytes is
// refused before it is decoded.
const decodeBudget = 2 * preprocess.MaxDecodeBytes

// LoadFolder reads the images of dir through opt.Input's contract. The set
// is named dir, holds the file names and, for the digit path, whether a
// digit was found in each image. The classes are checked before any image
// is decoded; a file that does not decode is an error naming it.
func LoadFolder(dir string, opt FolderOptions) (*Set, error) {
	in := opt.Input
	pre, err := preprocess.New(in, preprocess.Options{})
	if err != nil {
		return nil, fmt.Errorf("dataset: image folder %s: %w", dir, err)
	}
	f, err := ListFolder(dir)
	if err != nil {
		return nil, err
	}
	if opt.Labels != nil {
		if err := f.Match(opt.Labels); err != nil {
			return nil, err
		}
	}
	n := len(f.Files)
	s := &Set{
		Name:     dir,
		Channels: in.Channels, Height: in.Height, Width: in.Width,
		Images:  make([]uint8, n*in.Shape().Size()),
		Labels:  f.Labels,
		Classes: f.Classes,
		Files:   f.Files,
	}
	found := make([]bool, n)
	workers := opt.Threads
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// A failure stops the work; of the files that failed, the first in
	// order is reported.
	errs := make([]error, n)
	var next, done atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	budget := newBudget(decodeBudget)
	var progress sync.Mutex
	for w := range min(workers, n) {
		p := pre
		if w > 0 {
			p, _ = preprocess.New(in, preprocess.Options{}) // in was checked above
		}
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				found[i], errs[i] = loadImage(s.Image(i), f.Files[i], p, budget)
				if errs[i] != nil {
					failed.Store(true)
				}
				if d := done.Add(1); opt.Progress != nil {
					progress.Lock()
					opt.Progress(int(d), n)
					progress.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if in.Digit {
		s.Found = found
	}
	return s, nil
}

// imageFiles lists the .png, .jpg and .jpeg files of dir, sorted.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") { // e.g. macOS "._x.jpg" metadata
			continue
		}
		switch path := filepath.Join(dir, e.Name()); strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			if e.Type().IsRegular() || safefile.IsRegular(path) { // not a FIFO, nor a link to /dev/zero
				files = append(files, path)
			}
		}
	}
	slices.Sort(files)
	return files, nil
}

// loadImage decodes the image file at path through p into dst, within the
// memory budget, and reports whether the preprocessing found something.
func loadImage(dst []uint8, path string, p *preprocess.Preprocessor, b *budget) (bool, error) {
	data, err := preprocess.ReadFile(path)
	if err != nil {
		return false, err
	}
	hd, err := preprocess.ReadHeader(data)
	if err != nil {
		return false, fmt.Errorf("%s: cannot decode image: %w", path, err)
	}
	b.acquire(hd.Cost)
	defer b.release(hd.Cost)
	res, err := p.File(data)
	if err != nil {
		return false, fmt.Errorf("%s: cannot decode image: %w", path, err)
	}
	copy(dst, res.Pixels)
	return res.Found, nil
}

// budget is a counting semaphore of bytes.
type budget struct {
	mu    sync.Mutex
	cond  sync.Cond
	free  int64
	total int64
}

func newBudget(total int64) *budget {
	b := &budget{free: total, total: total}
	b.cond.L = &b.mu
	return b
}

// acquire waits until n bytes are free (all of them, for n above the
// total) and takes them.
func (b *budget) acquire(n int64) {
	n = min(n, b.total)
	b.mu.Lock()
	for b.free < n {
		b.cond.Wait()
	}
	b.free -= n
	b.mu.Unlock()
}

func (b *budget) release(n int64) {
	n = min(n, b.total)
	b.mu.Lock()
	b.free += n
	b.mu.Unlock()
	b.cond.Broadcast()
}
