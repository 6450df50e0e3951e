package train

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// WriteMetricsCSV writes one row per epoch (with a header) to path.
func WriteMetricsCSV(path string, history []EpochMetrics) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"epoch", "loss", "train_top1", "test_top1", "seconds", "images_per_s", "lr"})
		for _, e := range history {
			cw.Write([]string{strconv.Itoa(e.Epoch), ff(e.Loss), ff(e.TrainTop1), ff(e.TestTop1), ff(e.Seconds), ff(e.ImagesPerSec), ff(e.LR)})
		}
		cw.Flush()
		return cw.Error()
	})
}

func ff(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// PlotCurves draws the loss and accuracy curves side by side as a PNG.
func PlotCurves(path string, history []EpochMetrics) error {
	loss, train, test := plotter.XYs{}, plotter.XYs{}, plotter.XYs{}
	for _, e := range history {
		x := float64(e.Epoch)
		loss = append(loss, plotter.XY{X: x, Y: e.Loss})
		train = append(train, plotter.XY{X: x, Y: 100 * e.TrainTop1})
		if e.TestTop1 >= 0 {
			test = append(test, plotter.XY{X: x, Y: 100 * e.TestTop1})
		}
	}
	left := plot.New()
	left.Title.Text, left.X.Label.Text, left.Y.Label.Text = "Training loss", "epoch", "cross-entropy"
	if err := addLine(left, "train", loss, 0); err != nil {
		return err
	}
	right := plot.New()
	right.Title.Text, right.X.Label.Text, right.Y.Label.Text = "Top-1 accuracy", "epoch", "%"
	right.Legend.Top, right.Legend.Left = false, false
	if err := addLine(right, "train", train, 0); err != nil {
		return err
	}
	if len(test) > 0 {
		if err := addLine(right, "test", test, 1); err != nil {
			return err
		}
	}
	return savePNG(path, 10*vg.Inch, 4*vg.Inch, func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4}
		left.Draw(tiles.At(c, 0, 0))
		right.Draw(tiles.At(c, 1, 0))
	})
}

var lineColors = []color.Color{color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 214, G: 39, B: 40, A: 255}}

func addLine(p *plot.Plot, name string, xys plotter.XYs, style int) error {
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color, pts.Color = lineColors[style], lineColors[style]
	p.Add(l, pts)
	p.Legend.Add(name, l)
	return nil
}

// PlotConfusion draws the confusion matrix (rows: truth, columns:
// prediction) as a heat map with the counts written in the cells.
func PlotConfusion(path string, r *Result) error {
	n := len(r.Confusion)
	grid := confusionGrid(r.Confusion)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Confusion matrix (top-1 %.2f%% of %d)", 100*r.Top1(), r.N)
	p.X.Label.Text, p.Y.Label.Text = "predicted", "true"
	hm := plotter.NewHeatMap(grid, moreland.SmoothBlueRed().Palette(255))
	p.Add(hm)
	var labels plotter.XYLabels
	for t := range n {
		for c := range n {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(t)})
			labels.Labels = append(labels.Labels, strconv.Itoa(r.Confusion[t][c]))
		}
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(l)
	ticks := make([]plot.Tick, n)
	for i := range ticks {
		ticks[i] = plot.Tick{Value: float64(i), Label: r.Classes[i]}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(ticks), plot.ConstantTicks(ticks)
	size := vg.Length(max(5, n/2)) * vg.Inch
	return savePNG(path, size+vg.Inch, size, func(c draw.Canvas) { p.Draw(c) })
}

// confusionGrid adapts a square matrix to plotter.GridXYZ: columns are x
// (prediction), rows are y (truth), cell values are log-scaled counts so
// that the errors stay visible next to the diagonal.
type confusionGrid [][]int

func (g confusionGrid) Dims() (c, r int)   { return len(g), len(g) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 { return math.Log1p(float64(g[r][c])) }

func savePNG(path string, w, h vg.Length, render func(draw.Canvas)) error {
	img := vgimg.New(w, h)
	render(draw.New(img))
	return atomicfile.Write(path, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		return err
	})
}
