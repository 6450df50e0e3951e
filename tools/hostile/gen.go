//go:build linux

package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/edgecnn/edgecnn/internal/npy"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// corpus is the folder the hostile inputs are written to, and the small
// file systems mounted in it.
type corpus struct {
	dir    string
	mounts []string
}

// close unmounts what the corpus mounted.
func (c *corpus) close() {
	for _, m := range c.mounts {
		syscall.Unmount(m, 0)
	}
}

// path returns the path of name in the corpus, creating its folder.
func (c *corpus) path(name string) string {
	p := filepath.Join(c.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		panic(err)
	}
	return p
}

// write writes data to name and returns its path.
func (c *corpus) write(name string, data []byte) string {
	p := c.path(name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		panic(err)
	}
	return p
}

// writeZeros writes head followed by n zero bytes (a sparse file) and
// returns its path. Big inputs are never held in memory here: a child's
// peak RSS, as getrusage reports it, starts at this process's own peak
// (Linux keeps the peak of the address space a program is exec'd from,
// and Go's vfork-style exec starts from ours).
func (c *corpus) writeZeros(name string, head []byte, n int64) string {
	p := c.write(name, head)
	must(os.Truncate(p, int64(len(head))+n))
	return p
}

// patchModel edits a model file as a hand with a hex editor would, without
// the validation nn.Encode does: tensor sets float32 values of named
// tensors (by element index), graph edits the model document.
func patchModel(file []byte, tensor map[string]map[int]float32, graph func(doc map[string]any)) []byte {
	n := binary.LittleEndian.Uint64(file)
	var header map[string]json.RawMessage
	must(json.Unmarshal(file[8:8+n], &header))
	body := bytes.Clone(file[8+n:])
	for name, values := range tensor {
		var e struct {
			DataOffsets [2]int `json:"data_offsets"`
		}
		must(json.Unmarshal(header[name], &e))
		for i, v := range values {
			binary.LittleEndian.PutUint32(body[e.DataOffsets[0]+4*i:], math.Float32bits(v))
		}
	}
	if graph != nil {
		var meta map[string]string
		must(json.Unmarshal(header["__metadata__"], &meta))
		dec := json.NewDecoder(bytes.NewReader([]byte(meta["model"])))
		dec.UseNumber()
		var doc map[string]any
		must(dec.Decode(&doc))
		graph(doc)
		meta["model"] = string(mustJSON(doc))
		header["__metadata__"] = mustJSON(meta)
	}
	h := mustJSON(header)
	h = append(h, bytes.Repeat([]byte(" "), (8-len(h)%8)%8)...)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), body...)
}

// setNodeScale sets the output scale of the node called name.
func setNodeScale(name string, scale float64) func(map[string]any) {
	return func(doc map[string]any) {
		for _, n := range doc["nodes"].([]any) {
			if node := n.(map[string]any); node["name"] == name {
				node["quant"].(map[string]any)["scale"] = json.Number(strconv.FormatFloat(scale, 'g', -1, 64))
			}
		}
	}
}

// bombModel is a float model of a few kilobytes whose first layer legally
// makes 2^30 float32 activations (4 GiB per image), followed by relus more
// such tensors, none fused.
func bombModel(relus int) []byte {
	in := nn.Input{Channels: 4, Height: 4096, Width: 4096, Mean: make([]float32, 4), Std: []float32{1, 1, 1, 1}}
	layers := []*nn.Node{nn.Conv("wide", 64, 1, 1, 0)}
	for i := range relus {
		layers = append(layers, nn.Act(fmt.Sprintf("r%d", i), nn.OpReLU))
	}
	layers = append(layers, nn.Pool("p", nn.OpMaxPool, 4096), nn.Flat("f"), nn.FC("fc", 10))
	m := nn.Sequential("bomb", in, digits, layers...)
	must(m.InitParams())
	data, err := nn.Encode(m)
	must(err)
	return data
}

// The ONNX models are written field by field (onnx.proto's numbers), so
// that they can hold what the ONNX reader must refuse.

// onnxModel is an opset-13 ONNX model: x, a float [1, 1, 4, 4] batch, goes
// through nodes to out, a float [1, 16] vector. If init is not nil, it is
// the graph's one initializer, last in the file and followed by tail zero
// bytes that are its own last field's end (see onnxTensor): the model is
// the result and then tail zeros.
func onnxModel(nodes [][]byte, init []byte, tail int) []byte {
	var g []byte
	for _, n := range nodes {
		g = protowire.AppendBytes(protowire.AppendTag(g, 1, protowire.BytesType), n)
	}
	g = protoString(g, 2, "hostile")
	g = protowire.AppendBytes(protowire.AppendTag(g, 11, protowire.BytesType), onnxValue("x", 1, 1, 4, 4))
	g = protowire.AppendBytes(protowire.AppendTag(g, 12, protowire.BytesType), onnxValue("out", 1, 16))
	if init != nil {
		g = protowire.AppendVarint(protowire.AppendTag(g, 5, protowire.BytesType), uint64(len(init)+tail))
		g = append(g, init...)
	}
	var opset []byte
	opset = protowire.AppendVarint(protowire.AppendTag(opset, 2, protowire.VarintType), 13)
	var m []byte
	m = protowire.AppendVarint(protowire.AppendTag(m, 1, protowire.VarintType), 8) // IR version
	m = protowire.AppendBytes(protowire.AppendTag(m, 8, protowire.BytesType), opset)
	m = protowire.AppendVarint(protowire.AppendTag(m, 7, protowire.BytesType), uint64(len(g)+tail))
	return append(m, g...)
}

// onnxNode is a node of type op named name.
func onnxNode(op, name string, inputs []string, output string) []byte {
	var n []byte
	for _, in := range inputs {
		n = protoString(n, 1, in)
	}
	n = protoString(n, 2, output)
	n = protoString(n, 3, name)
	return protoString(n, 4, op)
}

// onnxTensor is an initializer of ONNX data type dataType (3 is INT8)
// whose values are raw bytes: the result ends with the length of raw
// bytes, the bytes to follow.
func onnxTensor(name string, dataType uint64, dims []int64, raw int) []byte {
	var t []byte
	for _, d := range dims {
		t = protowire.AppendVarint(protowire.AppendTag(t, 1, protowire.VarintType), uint64(d))
	}
	t = protowire.AppendVarint(protowire.AppendTag(t, 2, protowire.VarintType), dataType)
	t = protoString(t, 8, name)
	return protowire.AppendVarint(protowire.AppendTag(t, 9, protowire.BytesType), uint64(raw))
}

// onnxValue describes a float tensor of the given shape.
func onnxValue(name string, dims ...int64) []byte {
	var shape []byte
	for _, d := range dims {
		dim := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), uint64(d))
		shape = protowire.AppendBytes(protowire.AppendTag(shape, 1, protowire.BytesType), dim)
	}
	tensor := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1) // FLOAT
	tensor = protowire.AppendBytes(protowire.AppendTag(tensor, 2, protowire.BytesType), shape)
	typ := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), tensor)
	v := protoString(nil, 1, name)
	return protowire.AppendBytes(protowire.AppendTag(v, 2, protowire.BytesType), typ)
}

func protoString(b []byte, field protowire.Number, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(b, field, protowire.BytesType), s)
}

// hugeIntONNX is a model whose Reshape reads its target shape from an INT8
// initializer of n x n values, zeros: the reader expanded integer tensors
// to int64, eight times their size in the file. The model is head and
// then zeros zero bytes.
func hugeIntONNX(n int) (head []byte, zeros int) {
	return onnxModel([][]byte{
		onnxNode("Reshape", "reshape", []string{"x", "shape"}, "out"),
	}, onnxTensor("shape", 3, []int64{int64(n), int64(n)}, n*n), n*n), n * n
}

// sameNamesONNX is x flattened, then n ReLUs all named "relu": the reader
// searched for a free name from "relu_2" up for each, n²/2 names in all.
func sameNamesONNX(n int) []byte {
	nodes := [][]byte{onnxNode("Flatten", "relu", []string{"x"}, "a0")}
	for i := range n {
		out := fmt.Sprintf("a%d", i+1)
		if i == n-1 {
			out = "out"
		}
		nodes = append(nodes, onnxNode("Relu", "relu", []string{fmt.Sprintf("a%d", i)}, out))
	}
	return onnxModel(nodes, nil, 0)
}

// colourModel is a small float model of 3x32x32 images, so that frames go
// through the colour (image) path.
func colourModel() []byte {
	in := nn.Input{Channels: 3, Height: 32, Width: 32, Mean: make([]float32, 3), Std: []float32{1, 1, 1}}
	m := nn.Sequential("colour", in, digits, nn.Conv("c", 2, 3, 2, 1), nn.Flat("f"), nn.FC("fc", 10))
	must(m.InitParams())
	data, err := nn.Encode(m)
	must(err)
	return data
}

var digits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// lenet5Int8 returns the embedded int8 LeNet-5's file.
func lenet5Int8() []byte { return bytes.Clone(models.LeNet5Int8()) }

// zerosNPY is a [1, 1, 32, 32] float32 batch of zeros.
func zerosNPY() []byte {
	var b bytes.Buffer
	must(npy.Encode(&b, &npy.Array{Shape: []int{1, 1, 32, 32}, Data: make([]float32, 32*32)}))
	return b.Bytes()
}

// idxGzip is a gzipped IDX file of unsigned bytes with the given
// dimensions, all zero: small on disk, large once decompressed.
func idxGzip(dims ...uint32) []byte {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	must(err)
	head := []byte{0, 0, 8, byte(len(dims))}
	size := 1
	for _, d := range dims {
		head = binary.BigEndian.AppendUint32(head, d)
		size *= int(d)
	}
	zw.Write(head)
	zero := make([]byte, 1<<20)
	for size > 0 {
		n, err := zw.Write(zero[:min(size, len(zero))])
		must(err)
		size -= n
	}
	must(zw.Close())
	return b.Bytes()
}

// photo is a small gray JPEG or PNG (by ext) with a dark stroke, a digit
// for nobody in particular.
func photo(ext string) []byte {
	img := image.NewGray(image.Rect(0, 0, 48, 48))
	for i := range img.Pix {
		img.Pix[i] = 220
	}
	for y := 10; y < 38; y++ {
		img.SetGray(24, y, color.Gray{30})
		img.SetGray(25, y, color.Gray{30})
	}
	var b bytes.Buffer
	if ext == ".png" {
		must(png.Encode(&b, img))
	} else {
		must(jpeg.Encode(&b, img, nil))
	}
	return b.Bytes()
}

// progressiveBomb is a progressive JPEG that declares 8192x8192 pixels in
// three components and holds a few bytes of its first scan, about 340
// bytes in all: image/jpeg would allocate coefficients for the whole
// image (768 MB) before finding the data missing.
func progressiveBomb() []byte {
	seg := func(marker byte, body ...byte) []byte {
		return append([]byte{0xFF, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)}, body...)
	}
	out := []byte{0xFF, 0xD8}
	out = append(out, seg(0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)...) // a quantization table of ones
	out = append(out, seg(0xC2, 8, 0x20, 0, 0x20, 0, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)...)
	dc := append([]byte{0x00, 1}, make([]byte, 15)...) // one DC code of length 1
	out = append(out, seg(0xC4, append(dc, 0)...)...)
	out = append(out, seg(0xDA, 3, 1, 0, 2, 0, 3, 0, 0, 0, 0)...) // the first DC scan
	out = append(out, bytes.Repeat([]byte{0x55}, 339-len(out)-2)...)
	return append(out, 0xFF, 0xD9)
}

// pngBomb is a 16-bit gray PNG of w x h zero pixels, written row by row
// through zlib without building the image: hundreds of kilobytes on disk,
// w*h*2 bytes decoded (and more, converted).
func pngBomb(w, h int) []byte {
	chunk := func(out []byte, kind string, data []byte) []byte {
		out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
		start := len(out)
		out = append(append(out, kind...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	out = chunk(out, "IHDR", append(ihdr, 16, 0, 0, 0, 0)) // 16-bit gray
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	must(err)
	row := make([]byte, 1+2*w) // filter 0 and the samples
	for range h {
		_, err := zw.Write(row)
		must(err)
	}
	must(zw.Close())
	out = chunk(out, "IDAT", z.Bytes())
	return chunk(out, "IEND", nil)
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	must(err)
	return data
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
