package nn

// Normalize writes the model input for one image: pixels holds C*H*W bytes in
// CHW order, dst receives (p/255 - Mean[c]) / Std[c].
func (in Input) Normalize(dst []float32, pixels []uint8) {
	plane := in.Height * in.Width
	for c := range in.Channels {
		scale := 1 / (255 * in.Std[c])
		shift := -in.Mean[c] / in.Std[c]
		src, out := pixels[c*plane:(c+1)*plane], dst[c*plane:(c+1)*plane]
		for i, p := range src {
			out[i] = float32(p)*scale + shift
		}
	}
}
