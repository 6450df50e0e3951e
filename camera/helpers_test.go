package camera

import "github.com/edgecnn/edgecnn/nn"

// lenetInput is the input contract of the digit models.
func lenetInput() nn.Input {
	return nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}, Digit: true}
}
