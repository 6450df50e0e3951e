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
		cw.Write([]string{"epoch", "loss", "train_top1", "test_top1", "seconds", "images_per_s", "lr", "test_loss"})
		for _, e := range history {
			cw.Write([]string{strconv.Itoa(e.Epoch), ff(e.Loss), ff(e.TrainTop1), ff(e.TestTop1), ff(e.Seconds), ff(e.ImagesPerSec), ff(e.LR), ff(e.TestLoss)})
		}
		cw.Flush()
		return cw.Error()
	})
}

func ff(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// PlotCurves draws the loss and the top-1 accuracy per epoch, for the
// training batches and the test set, side by side as a PNG, with one legend
// to the right of both plots so that it never hides a point.
func PlotCurves(path string, history []EpochMetrics) error {
	var curves [4]plotter.XYs // train loss, test loss, train top-1, test top-1
	for _, e := range history {
		x := float64(e.Epoch)
		curves[0] = append(curves[0], plotter.XY{X: x, Y: e.Loss})
		curves[2] = append(curves[2], plotter.XY{X: x, Y: 100 * e.TrainTop1})
		if e.TestTop1 >= 0 {
			curves[1] = append(curves[1], plotter.XY{X: x, Y: e.TestLoss})
			curves[3] = append(curves[3], plotter.XY{X: x, Y: 100 * e.TestTop1})
		}
	}
	legend := plot.NewLegend()
	var plots [2]*plot.Plot
	for i, title := range []string{"Loss", "Top-1 accuracy"} {
		p := plot.New()
		p.Title.Text, p.X.Label.Text = title, "epoch"
		p.Y.Label.Text = [...]string{"cross-entropy", "%"}[i]
		p.X.Tick.Marker = epochTicks{}
		for style, name := range []string{"train", "test"} {
			xys := curves[2*i+style]
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			l.Color, pts.Color = lineColors[style], lineColors[style]
			p.Add(l, pts)
			if i == 0 {
				legend.Add(name, l, pts)
			}
		}
		plots[i] = p
	}
	legendWidth := vg.Inch
	return savePNG(path, 10*vg.Inch+legendWidth, 4*vg.Inch, func(c draw.Canvas) {
		plotsArea := c
		plotsArea.Max.X -= legendWidth
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4}
		for i, p := range plots {
			p.Draw(tiles.At(plotsArea, i, 0))
		}
		legendArea := c
		legendArea.Min.X = plotsArea.Max.X + vg.Inch/8
		legend.Top, legend.Left = true, true
		legend.YOffs = -vg.Inch / 3 // level with the plots' first tick, below their titles
		legend.Draw(legendArea)
	})
}

// epochTicks marks whole epochs only.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	step := math.Max(1, math.Ceil((hi-lo)/10))
	var ticks []plot.Tick
	for v := math.Ceil(lo); v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ticks
}

var lineColors = []color.Color{color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 214, G: 39, B: 40, A: 255}}

// PlotConfusion draws the confusion matrix as a heat map: rows are the true
// class, class 0 at the top, columns the prediction, each cell with its
// count; a column on the right gives each class's recall (the share of its
// images classified as it), and a colour scale of counts (logarithmic, so
// that the errors stay visible next to the diagonal) stands beside it.
func PlotConfusion(path string, r *Result) error {
	n := len(r.Confusion)
	grid := confusionGrid(r.Confusion)
	colors := moreland.SmoothBlueRed()
	top := 0.0
	for _, row := range r.Confusion {
		for _, v := range row {
			top = max(top, math.Log1p(float64(v)))
		}
	}
	colors.SetMin(0)
	colors.SetMax(max(top, 1))
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Confusion matrix (top-1 %.2f%% of %d)", 100*r.Top1(), r.N)
	p.X.Label.Text, p.Y.Label.Text = "predicted", "true"
	hm := plotter.NewHeatMap(grid, colors.Palette(255))
	hm.Min, hm.Max = 0, colors.Max()
	p.Add(hm)
	var labels plotter.XYLabels
	for t := range n {
		y := float64(n - 1 - t)
		for c := range n {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: y})
			labels.Labels = append(labels.Labels, strconv.Itoa(r.Confusion[t][c]))
		}
		recall := "-"
		if rc := r.ClassTop1(t); rc >= 0 {
			recall = fmt.Sprintf("%.1f%%", 100*rc)
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(n) + 0.2, Y: y})
		labels.Labels = append(labels.Labels, recall)
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(l)
	xTicks, yTicks := make([]plot.Tick, n+1), make([]plot.Tick, n)
	for i := range n {
		xTicks[i] = plot.Tick{Value: float64(i), Label: r.Classes[i]}
		yTicks[i] = plot.Tick{Value: float64(n - 1 - i), Label: r.Classes[i]}
	}
	xTicks[n] = plot.Tick{Value: float64(n) + 0.2, Label: "recall"}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xTicks), plot.ConstantTicks(yTicks)
	p.X.Min, p.X.Max = -0.5, float64(n)+0.8
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5

	scale := plot.New()
	scale.Y.Label.Text = "images (colour scale)"
	scale.HideX()
	scale.Add(&plotter.ColorBar{ColorMap: colors, Vertical: true})
	scale.Y.Tick.Marker = countTicks{}
	size := vg.Length(vg.Length(max(5, n/2)) * vg.Inch) // rounded: no fused add below on arm64
	barWidth := 1.4 * vg.Inch
	return savePNG(path, size+vg.Inch+barWidth, size, func(c draw.Canvas) {
		matrix := c
		matrix.Max.X -= barWidth
		p.Draw(matrix)
		bar := c
		bar.Min.X = matrix.Max.X + vg.Inch/8
		scale.Draw(bar)
	})
}

// countTicks labels a log1p axis with the counts 0, 1, 10, 100, ...
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := []plot.Tick{{Value: 0, Label: "0"}}
	for v := 1.0; math.Log1p(v) <= hi; v *= 10 {
		ticks = append(ticks, plot.Tick{Value: math.Log1p(v), Label: strconv.Itoa(int(v))})
	}
	return ticks
}

// confusionGrid adapts a square matrix to plotter.GridXYZ: columns are x
// (prediction), rows are y with the first class at the top (the largest
// y), cell values are log-scaled counts.
type confusionGrid [][]int

func (g confusionGrid) Dims() (c, r int)   { return len(g), len(g) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 { return math.Log1p(float64(g[len(g)-1-r][c])) }

func savePNG(path string, w, h vg.Length, render func(draw.Canvas)) error {
	img := vgimg.New(w, h)
	render(draw.New(img))
	return atomicfile.Write(path, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		return err
	})
}
