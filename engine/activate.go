package engine

import "github.com/edgecnn/edgecnn/nn"

// ActivateNode sets y to the element-wise activation of node n (relu,
// relu6, tanh, or one of the unary layers of ops.go) applied to x, with
// the float32 arithmetic of the engine's own layer, so that the trainer
// computes what the engine will. y may alias x.
func ActivateNode(n *nn.Node, y, x []float32) {
	switch n.Op {
	case nn.OpSigmoid, nn.OpHardSigmoid, nn.OpHardSwish, nn.OpSiLU, nn.OpLeakyReLU, nn.OpELU, nn.OpErf:
		unary{op: n.Op, alpha: n.Alpha, beta: n.Beta}.apply(y, x)
	default:
		Activate(n.Op, y, x)
	}
}
