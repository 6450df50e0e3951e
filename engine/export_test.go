package engine

// SplitSmallLayers makes e split every layer it can across its threads,
// however little work the layer holds, so that tests on small models
// exercise the split paths.
func SplitSmallLayers(e *Engine) { e.pool.minMACs = 1 }
